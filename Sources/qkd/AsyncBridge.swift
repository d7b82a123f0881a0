import Foundation

/// Runs async work from the synchronous commands of `qkd` (whose `main` is synchronous so that
/// every error ends as one line and exit code 2).
enum AsyncBridge {
    /// Runs `body` to completion on the concurrency runtime, blocking the calling thread, and
    /// returns its result or rethrows its error.
    static func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = Outcome<Value>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                outcome.set(.success(try await body()))
            } catch {
                outcome.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return try outcome.get()
    }

    /// The result handed from the task to the waiting thread; the semaphore orders the accesses.
    private final class Outcome<Value: Sendable>: @unchecked Sendable {
        private var result: Result<Value, any Error>?

        func set(_ result: Result<Value, any Error>) { self.result = result }

        func get() throws -> Value {
            guard let result else { preconditionFailure("the task ended without a result") }
            return try result.get()
        }
    }
}
