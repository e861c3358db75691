// DRD/1.0 (RAIDA Group 16): the directory of QMail users and their private white/black lists.
export * from './errors.js';
export * from './fields.js';
export * from './commands.js';
