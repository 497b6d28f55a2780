// The oracle ships with the engine (the solver benchmark and the start-up self-check use it).
export * from '../../main/engine/oracle.js';
