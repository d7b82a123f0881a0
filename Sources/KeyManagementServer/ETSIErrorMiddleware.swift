import Hummingbird

/// Turns every error of a route into an ETSI error body: ``ETSIError`` as it is, Hummingbird's
/// own HTTP errors (unknown path, wrong method, body too large) with their status, and anything
/// else as 503, so that no request ever gets a 500 or a body outside the contract.
struct ETSIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ETSIError {
            throw error
        } catch let error as HTTPError {
            throw ETSIError(error.status == .internalServerError ? .serviceUnavailable : error.status, error.body ?? "\(error.status.reasonPhrase)")
        } catch {
            throw ETSIError.unavailable("the KME failed to serve the request (\(type(of: error)))")
        }
    }
}
