export * from './pipeline';
export * from './parser';
export * from './certificate';
export * from './device';
