/** Every malformed filter is a 400 naming the parameter and the 0-based character offset. */
import { BadRequestError } from '../../errors.js';

export function filterError(message: string, position: number, parameter = 'filter'): BadRequestError {
  return new BadRequestError(`过滤条件无效 (invalid ${parameter} at position ${position}: ${message})`, { parameter, position });
}
