/**
 * Field builders whose error messages say what was expected in words a user can act on
 * ("expected a positive number"); `formatIssues` appends what was given.
 */
import { z } from 'zod';

const msg = (m: string) => ({ error: m });

export const positiveNumber = () => z.number(msg('expected a positive number')).positive(msg('expected a positive number'));
export const nonNegativeNumber = () => z.number(msg('expected a number ≥ 0')).min(0, msg('expected a number ≥ 0'));
export const positiveInt = () => z.int(msg('expected a positive integer')).positive(msg('expected a positive integer'));
export const nonNegativeInt = () => z.int(msg('expected an integer ≥ 0')).min(0, msg('expected an integer ≥ 0'));
export const fraction = () => z.number(msg('expected a number in [0, 1]')).min(0, msg('expected a number in [0, 1]')).max(1, msg('expected a number in [0, 1]'));
export const bool = () => z.boolean(msg('expected true or false'));
export const text = () => z.string(msg('expected a string')).min(1, msg('expected a non-empty string'));
export const textList = () => z.array(text(), msg('expected a list of strings')).min(1, msg('expected a non-empty list'));
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, msg(`expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
