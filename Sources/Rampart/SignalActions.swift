import Dispatch
import Foundation

/// Runs an action on a signal (SIGHUP, SIGUSR1) instead of the signal's default, which would end the process.
final class SignalActions {
    private var sources: [any DispatchSourceSignal] = []

    /// Calls `action` on a Dispatch queue each time `signal` arrives.
    func on(_ signalNumber: Int32, _ action: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler(handler: action)
        source.resume()
        self.sources.append(source)
    }

    /// Stops handling the signals.
    func cancel() {
        for source in self.sources { source.cancel() }
        self.sources = []
    }
}
