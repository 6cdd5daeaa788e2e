export * from './pipeline';
export * from './parser';
export * from './certificate';
export * from './device';
export * from './encryption';
export * from './monitoring';
export * from './storage';
export * from './table';
