import HTTPTypes
import Logging
import ServiceKit
import ServiceKitTesting
import Synchronization
import TestSupport
import Testing

/// Records log messages so tests can assert on what was logged.
final class LogRecorder: Sendable {
    let messages = Locked<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            self.recorder.messages.withLock { $0.append("\(event.level) \(event.message) \(details)") }
        }
    }
}

@Suite("Signals")
struct SignalTests {
    @Test func receiversRunInConnectionOrderSyncAndAsync() async {
        let signal = Signal<Int>("numbers")
        let calls = Locked<[String]>([])
        signal.connect { _, value in calls.withLock { $0.append("sync \(value)") } }
        signal.connect { _, value in
            await Task.yield()
            calls.withLock { $0.append("async \(value)") }
        }
        signal.connect { _, value in calls.withLock { $0.append("third \(value)") } }
        #expect(await signal.send(from: "test", 7) == 3)
        #expect(calls.withLock { $0 } == ["sync 7", "async 7", "third 7"])
    }

    @Test func senderFilterAndDisconnect() async {
        let signal = Signal<String>("filtered")
        let calls = Locked<[String]>([])
        signal.connect(sender: "reports") { sender, payload in calls.withLock { $0.append("\(sender):\(payload)") } }
        let any = signal.connect { sender, payload in calls.withLock { $0.append("any \(sender):\(payload)") } }
        await signal.send(from: "billing", "a")
        await signal.send(from: "reports", "b")
        signal.disconnect(any)
        await signal.send(from: "reports", "c")
        #expect(calls.withLock { $0 } == ["any billing:a", "reports:b", "any reports:b", "reports:c"])
    }

    @Test func throwingReceiverIsLoggedAndOthersStillRun() async {
        struct SignerDown: Error {}
        let recorder = LogRecorder()
        let signal = Signal<String>("report_ready", logger: recorder.logger)
        let signed = Locked<[String]>([])
        signal.connect { _, _ in throw SignerDown() }
        signal.connect { _, report in signed.withLock { $0.append(report) } }
        #expect(await signal.send(from: "reports", "q3.pdf") == 1)
        #expect(signed.withLock { $0 } == ["q3.pdf"])
        let logged = recorder.messages.withLock { $0 }
        #expect(logged.count == 1)
        #expect(logged.first?.contains("signal receiver failed") == true)
        #expect(logged.first?.contains("signal=report_ready") == true)
        #expect(logged.first?.contains("SignerDown") == true)
    }

    @Test func lifecycleSignalsFireAroundEachRequest() async throws {
        struct Broken: Error {}
        let app = ServiceApp("signals")
        let events = Locked<[String]>([])
        app.signals.requestStarted.connect { sender, request in events.withLock { $0.append("started \(sender) \(request.uri.path)") } }
        // The seed's signals.py: the receiver gets the response.
        app.signals.requestFinished.connect { _, response in events.withLock { $0.append("finished \(response.status.code)") } }
        app.signals.gotRequestException.connect { _, error in events.withLock { $0.append("exception \(type(of: error))") } }
        app.signals.requestTearingDown.connect { _, error in events.withLock { $0.append("teardown \(error == nil ? "clean" : "error")") } }
        app.signals.requestFinished.connect { _, _ in throw Broken() }
        app.get("/api") { _, _ in ["Hello": "World"] }
        app.get("/fail") { _, _ -> String in throw Broken() }
        let client = try app.testClient()
        #expect(try await client.get("/api").json() == ["Hello": "World"], "a failing receiver does not break the request")
        _ = try await client.get("/fail")
        _ = try await client.get("/nope")
        #expect(events.withLock { $0 } == [
            "started signals /api", "finished 200", "teardown clean",
            "started signals /fail", "exception Broken", "finished 500", "teardown error",
            "started signals /nope", "finished 404", "teardown error",
        ])
    }

    @Test func namedSignalsAreSharedByName() async {
        let app = ServiceApp("named")
        let ready = app.signals.named("report_ready", payload: String.self)
        #expect(ready === app.signals.named("report_ready", payload: String.self))
        let got = Locked<String?>(nil)
        ready.connect { _, report in got.withLock { $0 = report } }
        await app.signals.named("report_ready", payload: String.self).send(from: "app", "r1")
        #expect(got.withLock { $0 } == "r1")
    }
}
