export * from './pipeline';
export * from './parser';
export * from './certificate';
export * from './device';
export * from './alarms';
export * from './storage';
