/**
 * JSON values: what stage positions, layer states and checkpoint records are made of.
 * Lives in `src/base/` so the data plane and the models share it without importing each other.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
