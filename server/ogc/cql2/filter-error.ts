/** Every malformed filter is a 400 naming the parameter and the 0-based character offset. */
import { BadRequestError } from '../../errors.js';

export function filterError(message: string, position: number, parameter = 'filter'): BadRequestError {
  return new BadRequestError(`过滤条件无效 (invalid ${parameter} at position ${position}: ${message})`, { parameter, position });
}

export const DATE_EXPECTED = 'a date YYYY-MM-DD (a real day, year 0001–9999)';
export const TIMESTAMP_EXPECTED = 'an RFC 3339 timestamp YYYY-MM-DDThh:mm:ss[.s](Z|±hh:mm) (a real instant, year 0001–9999)';
