// Errors of the patch engines as the API server reports them.
import { ApiError } from '../errors.ts';

/**
 * upstream errors.NewGenericServerResponse(422, ...): reason Invalid, a fixed message and
 * the real one as an UnexpectedServerResponse cause. This is what apply errors of JSON
 * patch (and some strategic merge patch errors) look like.
 */
export function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

/**
 * A patch that cannot be applied to the object. Upstream surfaces some of these as bare 500s;
 * a client's mistake is never a server error here, so it is a 400 with the same message.
 */
export function unknownError(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}
