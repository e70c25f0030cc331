import Firewall
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyCore
import RateLimit
import RateLimitRedis
import ServiceKit

/// Serves one client connection: checks each request (client resolution, rate limits, firewall on headers and
/// body), forwards it over a pooled upstream connection of this event loop, and streams the response back.
///
/// The connection's bytes are parsed here, by ``ClientRequestParser``, one request at a time: the bytes of a
/// pipelined request stay unparsed until the response before it has been sent, so responses keep their order.
/// Backpressure: while the upstream cannot take more request body, the client is not read; while the client
/// cannot take more response, the upstream is not read.
final class DownstreamHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamDelegate {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ProxyServer
    private let loop: LoopContext
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var parser: ClientRequestParser
    /// Bytes read and not parsed yet: a pipelined request's, or a tunnel's first bytes.
    private var input: ByteBuffer?
    /// Reading stopped because `input` holds too much (see ``boundInput()``).
    private var inputPaused = false
    private var closing = false
    private var servedRequests = 0
    /// When the next request head must have arrived; nil while a request is being handled.
    private var headDeadline: NIODeadline?
    /// The request being answered, for the access log and stats; nil between requests.
    private var record: RequestRecord?
    /// The shared rate-limit store (Redis) is deciding the current request; what follows waits in `input`.
    private var awaitingLimits = false
    /// The peer's address as text, formatted on the connection's first request rather than on each.
    private var peerAddress: String?
    /// The last response head's buffer, cleared and refilled for the next head: once the channel has written it,
    /// this is its only reference, so clearing keeps its memory instead of allocating a new buffer per response.
    private var responseHeadBuffer: ByteBuffer?
    /// The last forwarded request head's buffer, reused the same way once its exchange is over.
    private var requestHeadBuffer: ByteBuffer?
    /// A response head not yet handed to the channel: body bytes from the same read are joined to it, up to
    /// ``joinedBodyBytes``, so a small response goes out as one write instead of two.
    private var heldResponseHead: ByteBuffer?
    /// The most body bytes copied into a held response head; a larger body is written as its own buffer.
    private static let joinedBodyBytes = 4096

    init(server: ProxyServer, loop: LoopContext) {
        self.server = server
        self.loop = loop
        self.parser = ClientRequestParser(maxHeadBytes: server.state.config.maxHeaderBytes)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        self.loop.stats.connectionsOpened += 1
        self.loop.watch(self)
        self.armHeadTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.loop.stats.connectionsClosed += 1
        self.loop.unwatch(self)
        self.headDeadline = nil
        if self.awaitingLimits, self.record != nil {
            self.finishRecord(status: 499, bytes: 0, reason: "the client closed the connection")
        }
        if let exchange = self.exchange {
            self.exchange = nil
            self.abandonUpstream(exchange)
            self.release(exchange)
            // Unless an answer was already counted (a parse error answered mid-request, say).
            if self.record != nil {
                self.finishRecord(status: exchange.responseStarted ? exchange.responseStatus : 499, bytes: exchange.responseBytes, reason: "the client closed the connection")
            }
        }
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        if self.closing { return }
        // `input` is only kept while it has bytes (`parseInput`).
        if var held = self.input.take() {
            held.writeBuffer(&buffer)
            self.input = held
        } else {
            self.input = buffer
        }
        self.parseInput()
    }

    // Nothing written to the client in a read of its requests waits for a flush here: answers the proxy makes go
    // out at once (`reject`), and a response goes out at the end of the tick in which its backend's read ended
    // (`upstreamReadComplete`).
    func channelReadComplete(context: ChannelHandlerContext) {
        if let exchange = self.exchange, exchange.upstreamNeedsFlush, let upstream = exchange.upstream {
            exchange.upstreamNeedsFlush = false
            self.loop.flusher.flushAtTickEnd(upstream)
        }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let upstream = self.exchange?.upstream {
            upstream.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !self.closing else { return }
        self.closing = true
        context.close(promise: nil)
    }

    /// Hands the bytes that followed a protocol switch to the handler that replaces this one (the tunnel), and
    /// reading back to it if too many of them had stopped it.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if let bytes = self.input.take(), bytes.readableBytes > 0 {
            context.fireChannelRead(self.wrapInboundOut(bytes))
            // The tunnel flushes what it forwarded when a read ends.
            context.fireChannelReadComplete()
        }
        if self.inputPaused {
            self.inputPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
        context.leavePipeline(removalToken: removalToken)
    }

    // MARK: Requests

    /// Stands in for `input` when every byte read has been parsed (an empty buffer, shared, never written).
    private static let noInput = ByteBuffer()

    /// Parses what was read, up to the end of the request being handled; then waits for the next head if the
    /// exchange is over. Pipelined requests stay in `input` meanwhile.
    private func parseInput() {
        // Even without bytes the parser may have an event: the end of a request whose last bytes came earlier.
        var input = self.input.take() ?? Self.noInput
        do {
            while !self.closing, !self.awaitingLimits, self.exchange?.requestEnded != true, let event = try self.parser.next(&input) {
                self.handle(event)
            }
        } catch {
            self.refuse(error)
            return
        }
        // A spent buffer is let go, so the channel can reuse its memory for the next read.
        if input.readableBytes > 0 { self.input = input }
        self.boundInput()
        if self.exchange == nil && self.headDeadline == nil && !self.awaitingLimits && !self.closing { self.armHeadTimer() }
    }

    /// Stops reading while more than a head's worth of pipelined bytes wait unparsed, so a client cannot make the
    /// proxy hold its requests without bound; reads again once they have been parsed.
    private func boundInput() {
        let held = self.input?.readableBytes ?? 0
        if held > self.parser.maxHeadBytes {
            self.inputPaused = true
            self.context?.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if self.inputPaused {
            self.inputPaused = false
            self.context?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    /// Answers a request the parser refused (400, or 431 for a head too large) and closes the connection.
    private func refuse(_ error: ClientRequestError) {
        if let exchange = self.exchange {
            self.exchange = nil
            self.abandonUpstream(exchange)
            self.release(exchange)
            if exchange.responseStarted {
                self.finishRecord(status: exchange.responseStatus, bytes: exchange.responseBytes, reason: "the request broke off: \(error.description)")
                self.closing = true
                self.context?.close(promise: nil)
                return
            }
        }
        let description = error.status == 400 ? "malformed HTTP request: \(error.description)" : error.description
        self.respondAndClose(ErrorResponse(status: error.status, description: description), version: .http1_1)
    }

    private func handle(_ event: ClientRequestParser.Event) {
        switch event {
        case .head(let head):
            self.headDeadline = nil
            self.begin(head)
        case .body(let buffer):
            guard let exchange = self.exchange else { return }
            self.receiveBody(buffer, exchange)
        case .end:
            guard let exchange = self.exchange else { return }
            exchange.requestEnded = true
            guard exchange.bodyInspected else { return self.inspectBodyAndForward(exchange) }
            // Until the upstream connection is ready, `attach` sends the end.
            guard let upstream = exchange.upstreamHandler else { return }
            upstream.sendEnd()
            upstream.flush()
            self.armResponseTimeout(exchange)
        }
    }

    private func begin(_ head: ClientRequestHead) {
        guard let context = self.context else { return }
        let state = self.server.state
        let uri = head.uri
        // One string for the record and the rate limiter: a path longer than 15 bytes allocates.
        let pathString = head.path
        let path = Substring(pathString)
        self.record = RequestRecord(started: .now(), method: head.method.rawValue, path: pathString)
        self.loop.stats.inFlight += 1
        let host = RouteTable.host(ofField: head.first(name: "host"))
        guard let route = state.routes.match(host: host, path: path) else {
            return self.reject(ErrorResponse(status: 404, description: "no route for \(host ?? "")\(path)"), head: head, unreadBody: head.hasBody)
        }
        let peer = self.peer(context)
        let resolution = state.resolver.resolve(peer: peer, chain: head.values(name: "x-forwarded-for"))
        // The fields as strings only for a policy keyed on one; the firewall reads them from the head's bytes.
        let rateRequest = RateLimitRequest(
            method: head.method.rawValue, path: pathString, host: host, clientAddress: resolution.client,
            headers: state.limitsReadHeaders ? head.fieldList : [],
            cookies: state.limitsReadCookies ? Self.cookies(head.values(name: "cookie")) : [:], route: route.route.name
        )
        // A local decision's bucket starts loading from memory now, and arrives while the request id is made.
        // One use of the request on each branch, so it is moved into the limiter rather than copied.
        let prepared: RateLimiter.PreparedRequest?
        let plan: RateLimiter.Plan?
        if self.loop.redis == nil {
            (prepared, plan) = (state.rateLimiter.prepare(consume rateRequest), nil)
        } else {
            (prepared, plan) = (nil, state.rateLimiter.plan(consume rateRequest))
        }
        let keptID = state.forwarded.keptRequestID(head, resolution: resolution)
        let requestID = keptID ?? self.loop.requestIDs.next()
        self.record?.route = route.route.name
        self.record?.client = resolution.client
        self.record?.requestID = requestID
        let pending = PendingRequest(
            head: head, uri: uri, state: state, route: route, resolution: resolution, requestID: requestID,
            madeRequestID: keptID == nil
        )

        // Rate limits: decided here, or by the shared store on this loop's Redis connection.
        if let prepared {
            self.afterLimits(pending, state.rateLimiter.check(prepared: prepared))
        } else if let plan, let redis = self.loop.redis {
            self.decideShared(pending, plan: plan, redis: redis, context: context)
        }
    }

    /// Asks the shared store for the rate-limit decision; the request goes on when it answers.
    private func decideShared(_ pending: PendingRequest, plan: RateLimiter.Plan, redis: RedisBucketStore, context: ChannelHandlerContext) {
        let state = pending.state
        guard !plan.takes.isEmpty else {
            return self.afterLimits(pending, state.rateLimiter.finish(plan, outcomes: []))
        }
        // Until Redis answers, the client is not read and what already arrived waits in `queued`.
        self.awaitingLimits = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        redis.decide(plan.takes).hop(to: self.loop.eventLoop).assumeIsolated().whenComplete { result in
            self.awaitingLimits = false
            let decision: RateLimitDecision
            switch result {
            case .success(let outcomes):
                decision = state.rateLimiter.finish(plan, outcomes: outcomes)
            case .failure(let error):
                self.loop.stats.rateLimitStoreErrors += 1
                decision = state.rateLimiter.finish(plan, storeFailure: error)
            }
            guard let context = self.context, !self.closing else {
                state.rateLimiter.release(decision)
                return
            }
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            self.afterLimits(pending, decision)
            self.parseInput()
        }
    }

    /// What `begin` learned about a request, carried past an asynchronous rate-limit decision.
    private struct PendingRequest {
        let head: ClientRequestHead
        let uri: String
        let state: ProxyState
        let route: RouteTable.Entry
        let resolution: ClientAddressResolver.Resolution
        let requestID: ProxyRequestID
        /// The proxy made the request id, so the backend gets it in a field of its own.
        let madeRequestID: Bool
    }

    /// The request path after the rate limits: a 429, or the firewall's headers phase and then forwarding.
    private func afterLimits(_ pending: PendingRequest, _ rateDecision: RateLimitDecision) {
        guard let context = self.context else {
            pending.state.rateLimiter.release(rateDecision)
            return
        }
        let (head, state, route, requestID, resolution) = (pending.head, pending.state, pending.route, pending.requestID, pending.resolution)
        for shadow in rateDecision.shadowRejections { self.loop.stats.rateLimitShadowRejections[shadow.policy, default: 0] += 1 }
        if let rejection = rateDecision.rejection {
            self.loop.stats.rateLimitRejections[rejection.policy, default: 0] += 1
            self.record?.policy = rejection.policy
            state.rateLimiter.release(rateDecision)
            var response = ErrorResponse(
                status: 429, description: "rate limit \"\(rejection.policy)\" exceeded",
                extra: ["policy": .string(rejection.policy), "retry_after": .int(rateDecision.retryAfter ?? 1), "request_id": .string(requestID.description)]
            )
            // The rate-limit fields carry Retry-After whenever the decision knows the wait, as a rejection does.
            response.headers = RateLimitHeaders.fields(for: rateDecision).map { ($0.name, $0.value) }
            if rateDecision.retryAfter == nil { response.headers.append(("Retry-After", "1")) }
            return self.reject(response, head: head, unreadBody: head.hasBody)
        }

        // Firewall, headers phase. Without rules there is nothing to evaluate, and the body streams through as it
        // arrives, uninspected.
        var firewall: FirewallEvaluation?
        var allowed = state.firewall.rules.isEmpty
        if !allowed {
            // Started and run in the loop's spare slot, where the last request's evaluation is.
            let (bytes, fields) = head.rawFields
            FirewallEvaluation.start(
                ruleSet: state.firewall,
                request: FirewallRequest(method: head.method.rawValue, uri: pending.uri, head: bytes, fields: fields, clientAddress: resolution.client),
                in: &self.loop.spareFirewall
            )
            guard let decision = self.loop.spareFirewall?.runHeaders() else { preconditionFailure("an evaluation was just started in the slot") }
            if decision.isDenied || decision.verdict == .allow { self.countFirewall(decision) }
            if case .deny(let status) = decision.verdict {
                state.rateLimiter.release(rateDecision)
                return self.reject(Self.firewallRejection(status: status, decision: decision, requestID: requestID), head: head, unreadBody: head.hasBody)
            }
            allowed = decision.verdict == .allow
            // An allowed request has no body phase: its evaluation stays in the slot for the next request.
            if !allowed { firewall = self.loop.spareFirewall.take() }
        }

        var forwardedHead = self.requestHeadBuffer.take() ?? context.channel.allocator.buffer(capacity: 512)
        forwardedHead.clear()
        state.forwarded.write(
            head, target: RouteTable.forwardedURI(pending.uri, route: route.route), resolution: resolution, tunnel: head.asksUpgrade,
            addRequestID: pending.madeRequestID ? requestID : nil, into: &forwardedHead
        )
        self.requestHeadBuffer = forwardedHead
        if head.expectsContinue {
            // The checks passed: invite the body now. The backend is kept out of the handshake (Expect is not
            // forwarded).
            var interim = context.channel.allocator.buffer(capacity: 32)
            HTTP1Serializer.writeResponseHead(version: head.version, status: 100, headers: [:], into: &interim)
            context.writeAndFlush(self.wrapOutboundOut(interim), promise: nil)
        }
        // Moved, not copied: a copy retains (and the local's end releases) every array the evaluation holds.
        let exchange = Exchange(state: state, head: head, route: route, forwardedHead: forwardedHead, requestID: requestID, firewall: consume firewall)
        exchange.rateDecision = rateDecision
        exchange.isTunnel = head.asksUpgrade
        self.exchange = exchange
        if allowed {
            exchange.bodyInspected = true
            self.forward(exchange)
        }
    }

    private func receiveBody(_ buffer: ByteBuffer, _ exchange: Exchange) {
        guard !exchange.bodyInspected else {
            guard let upstream = exchange.upstreamHandler else {
                exchange.pendingBody.append(buffer)
                return
            }
            upstream.sendBody(buffer)
            exchange.upstreamNeedsFlush = true
            return
        }
        exchange.pendingBody.append(buffer)
        exchange.inspectedBytes += buffer.readableBytes
        let limit = exchange.state.config.maxInspectedBody
        guard exchange.inspectedBytes > limit else { return }
        switch exchange.state.config.oversizedBody {
        case .reject:
            self.exchange = nil
            self.release(exchange)
            self.reject(
                ErrorResponse(status: 413, description: "the request body is larger than the \(limit) bytes that are inspected"),
                head: exchange.head, unreadBody: true
            )
        case .inspectPrefix:
            self.inspectBodyAndForward(exchange)
        }
    }

    private func inspectBodyAndForward(_ exchange: Exchange) {
        exchange.bodyInspected = true
        // The evaluation is the exchange's from the headers phase until here, which runs once (`bodyInspected`).
        // Run where it is, then handed back to the loop.
        guard let decision = exchange.firewall?.runBody(exchange.inspectedBody()) else { preconditionFailure("the body phase runs once per request") }
        self.loop.spareFirewall = exchange.firewall.take()
        self.countFirewall(decision)
        if case .deny(let status) = decision.verdict {
            self.exchange = nil
            self.release(exchange)
            self.reject(Self.firewallRejection(status: status, decision: decision, requestID: exchange.requestID), head: exchange.head, unreadBody: !exchange.requestEnded)
            return
        }
        self.forward(exchange)
    }

    // MARK: Upstream

    private func forward(_ exchange: Exchange) {
        guard let server = self.loop.pickServer(upstream: exchange.route.upstream, excluding: exchange.triedServer) else {
            return self.fail(exchange, ErrorResponse(status: 503, description: "no healthy server in upstream \"\(exchange.route.route.upstream)\""))
        }
        let key = LoopContext.ServerKey(upstream: exchange.route.upstream, server: server)
        exchange.serverKey = key
        if let connection = self.loop.takeIdle(key) {
            return self.attach(connection.channel, handler: connection.handler, exchange)
        }
        let upstream = exchange.state.config.upstreams[key.upstream]
        let address = upstream.servers[key.server]
        let loop = self.loop
        // The initializer runs on the bootstrap's loop, this one, which `NIOLoopBound` checks.
        let pool = NIOLoopBound(loop, eventLoop: loop.eventLoop)
        let bootstrap = ClientBootstrap(group: self.loop.eventLoop)
            .connectTimeout(.milliseconds(Int64(upstream.connectTimeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(UpstreamHandler(pool: pool.value), name: PipelineNames.upstream)
                }
            }
        // A server given by its IP address is connected to directly: a host name goes through the resolver and
        // Happy Eyeballs for every new connection, a dozen futures and a `getaddrinfo` on a Dispatch queue.
        let connecting =
            if let numeric = try? SocketAddress(ipAddress: address.host, port: address.port) {
                bootstrap.connect(to: numeric)
            } else {
                bootstrap.connect(host: address.host, port: address.port)
            }
        connecting
            .assumeIsolated()
            .whenComplete { result in
                guard self.exchange === exchange else {
                    if case .success(let channel) = result { channel.close(promise: nil) }
                    return
                }
                switch result {
                case .success(let channel):
                    guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                        channel.close(promise: nil)
                        return self.fail(exchange, ErrorResponse(status: 502, description: "upstream connection unusable"))
                    }
                    self.attach(channel, handler: handler, exchange)
                case .failure:
                    loop.stats.upstreamErrors[.connect, default: 0] += 1
                    loop.serverFailed(key)
                    if exchange.triedServer == nil, exchange.isIdempotent, upstream.servers.count > 1 {
                        exchange.triedServer = key.server
                        self.forward(exchange)
                    } else {
                        self.fail(exchange, ErrorResponse(status: 502, description: "upstream \(address) refused the connection"))
                    }
                }
            }
    }

    private func attach(_ channel: Channel, handler: UpstreamHandler, _ exchange: Exchange) {
        handler.delegate = self
        exchange.upstream = channel
        exchange.upstreamHandler = handler
        exchange.sentAt = .now()
        self.loop.stats.forwarded += 1
        if let key = exchange.serverKey { self.record?.upstream = exchange.state.serverNames[key.upstream][key.server] }
        if let downstream = self.context?.channel, !downstream.isWritable {
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        let head = exchange.head
        handler.sendHead(exchange.forwardedHead, isHEAD: head.method == .HEAD, chunked: head.framing == .chunked, unwrapChunks: head.version.minor == 0)
        for buffer in exchange.pendingBody { handler.sendBody(buffer) }
        exchange.pendingBody = []
        if exchange.requestEnded { handler.sendEnd() }
        handler.flush()
        if exchange.requestEnded { self.armResponseTimeout(exchange) }
    }

    /// Once the whole request is sent, the backend has the response timeout to start answering (504 beyond).
    private func armResponseTimeout(_ exchange: Exchange) {
        let timeout = exchange.state.config.upstreams[exchange.route.upstream].responseTimeout
        exchange.responseDeadline = .now() + .milliseconds(Int64(timeout * 1000))
    }

    /// Called by the loop's sweep: enforces the head timeout (408, or a silent close when idle) and the
    /// response timeout (504).
    func checkDeadlines(now: NIODeadline) {
        if let deadline = self.headDeadline, deadline <= now, self.exchange == nil, !self.closing {
            self.headDeadline = nil
            let config = self.server.state.config
            if self.servedRequests == 0 {
                self.respondAndClose(ErrorResponse(status: 408, description: "no complete request head within \(config.headerTimeout) s"), version: .http1_1)
            } else {
                self.closing = true
                self.context?.close(promise: nil)
            }
        }
        if let exchange = self.exchange, !exchange.responseStarted, let deadline = exchange.responseDeadline, deadline <= now {
            let timeout = exchange.state.config.upstreams[exchange.route.upstream].responseTimeout
            self.loop.stats.upstreamErrors[.timeout, default: 0] += 1
            self.abandonUpstream(exchange)
            self.fail(exchange, ErrorResponse(status: 504, description: "upstream did not answer within \(timeout) s"))
        }
    }

    func upstreamReceived(_ event: UpstreamResponseParser.Event) {
        guard let exchange = self.exchange, let context = self.context else { return }
        switch event {
        case .head(let head):
            if head.isInterim {
                // 100 Continue is the proxy's to send (it answered Expect itself); other interim responses, such as
                // 103 Early Hints, go on to HTTP/1.1 clients.
                guard head.status != 100, exchange.head.version.minor >= 1 else { return }
                var buffer = context.channel.allocator.buffer(capacity: 256)
                head.write(version: exchange.head.version, connection: nil, into: &buffer)
                context.write(self.wrapOutboundOut(buffer), promise: nil)
                return
            }
            guard head.status != 101 || exchange.isTunnel else {
                self.loop.stats.upstreamErrors[.malformed, default: 0] += 1
                self.abandonUpstream(exchange)
                return self.fail(exchange, ErrorResponse(status: 502, description: "upstream switched protocols without being asked to"))
            }
            exchange.responseDeadline = nil
            exchange.responseStarted = true
            exchange.responseStatus = head.status
            if let sentAt = exchange.sentAt { self.record?.upstreamLatency = .now() - sentAt }
            exchange.upstreamKeepAlive = head.keepAlive
            if let key = exchange.serverKey { self.loop.serverSucceeded(key) }
            exchange.switchingProtocols = head.status == 101
            // Refused a protocol switch: what the client sent after asking is not HTTP, and the parser stopped there.
            if exchange.isTunnel && !exchange.switchingProtocols { exchange.keepAlive = false }
            // Without a length or chunks the client learns the end by the close; so it does for an HTTP/1.0
            // client whose chunked response is unwrapped.
            if head.framing == .untilClose || (head.framing == .chunked && exchange.head.version.minor == 0) {
                exchange.keepAlive = false
            }
            var buffer = self.responseHeadBuffer.take() ?? context.channel.allocator.buffer(capacity: 512)
            buffer.clear()
            head.write(version: exchange.head.version, extraFields: self.successFields(exchange), connection: self.connectionField(exchange), into: &buffer)
            self.heldResponseHead = buffer
        case .body(var buffer):
            exchange.responseBytes = exchange.upstreamHandler?.responseBodyBytes ?? 0
            if var head = self.heldResponseHead.take() {
                guard buffer.readableBytes > Self.joinedBodyBytes else {
                    head.writeBuffer(&buffer)
                    return self.writeResponseHead(head, context: context)
                }
                self.writeResponseHead(head, context: context)
            }
            context.write(self.wrapOutboundOut(buffer), promise: nil)
        case .end:
            exchange.responseBytes = exchange.upstreamHandler?.responseBodyBytes ?? 0
            if let head = self.heldResponseHead.take() { self.writeResponseHead(head, context: context) }
            self.loop.flusher.flushAtTickEnd(context.channel)
            if exchange.switchingProtocols {
                self.startTunnel(exchange, context: context)
            } else {
                self.complete(exchange)
            }
        }
    }

    func upstreamClosed(_ error: any Error) {
        guard let exchange = self.exchange else { return }
        exchange.upstream = nil
        exchange.upstreamHandler = nil
        let malformed = error as? UpstreamResponseError
        self.loop.stats.upstreamErrors[malformed == nil ? .reset : .malformed, default: 0] += 1
        if exchange.responseStarted {
            self.exchange = nil
            self.release(exchange)
            self.finishRecord(
                status: exchange.responseStatus, bytes: exchange.responseBytes,
                reason: malformed.map { "the upstream's response broke off: \($0)" } ?? "the upstream closed the connection during the response"
            )
            // What the client has of the response goes out before the close that tells it the response broke off.
            if let head = self.heldResponseHead.take() { self.context?.writeAndFlush(self.wrapOutboundOut(head), promise: nil) }
            self.closing = true
            self.context?.close(promise: nil)
        } else {
            self.fail(exchange, ErrorResponse(status: 502, description: malformed.map { "upstream sent a malformed response: \($0)" } ?? "upstream closed the connection before answering"))
        }
    }

    func upstreamReadComplete() {
        guard let context = self.context else { return }
        if let head = self.heldResponseHead.take() { self.writeResponseHead(head, context: context) }
        self.loop.flusher.flushAtTickEnd(context.channel)
    }

    /// Hands a response head (and the body joined to it) to the channel, and keeps its buffer for the next head.
    private func writeResponseHead(_ head: ByteBuffer, context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(head), promise: nil)
        self.responseHeadBuffer = head
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        self.context?.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
    }

    /// The rate-limit fields a passing response carries, when configured.
    private func successFields(_ exchange: Exchange) -> [(name: String, value: String)] {
        guard exchange.state.config.rateLimitHeadersOnSuccess, let decision = exchange.rateDecision else { return [] }
        return RateLimitHeaders.fields(for: decision).map { ($0.name, $0.value) }
    }

    /// The proxy's own Connection field for this client: `close` when it closes after the response, and
    /// `keep-alive` for an HTTP/1.0 client that keeps the connection. A 101 keeps the backend's handshake fields.
    private func connectionField(_ exchange: Exchange) -> StaticString? {
        if exchange.switchingProtocols { return nil }
        if !exchange.keepAlive { return "close" }
        return exchange.head.version.minor == 0 ? "keep-alive" : nil
    }

    // MARK: Ending an exchange

    /// The backend agreed to switch protocols: from now on both connections carry opaque bytes, glued together.
    private func startTunnel(_ exchange: Exchange, context: ChannelHandlerContext) {
        self.exchange = nil
        self.release(exchange)
        self.finishRecord(status: exchange.responseStatus, bytes: 0)
        self.headDeadline = nil
        self.loop.unwatch(self)
        guard let upstream = exchange.upstream else {
            context.close(promise: nil)
            return
        }
        exchange.upstreamHandler?.delegate = nil
        let (clientSide, serverSide) = TunnelHandler.pair()
        do {
            // Glue first, then take HTTP out: bytes the handlers still hold are passed on to the glue.
            try context.pipeline.syncOperations.addHandler(clientSide)
            try upstream.pipeline.syncOperations.addHandler(serverSide)
            upstream.pipeline.syncOperations.removeHandler(name: PipelineNames.upstream, promise: nil)
            upstream.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.pipeline.syncOperations.removeHandler(name: PipelineNames.downstream, promise: nil)
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
        }
    }

    private func complete(_ exchange: Exchange) {
        self.exchange = nil
        self.release(exchange)
        self.finishRecord(status: exchange.responseStatus, bytes: exchange.responseBytes)
        if let channel = exchange.upstream, let handler = exchange.upstreamHandler, let key = exchange.serverKey {
            handler.delegate = nil
            if exchange.upstreamKeepAlive && exchange.requestEnded {
                self.loop.putIdle(LoopContext.PooledConnection(channel: channel, handler: handler, since: .now()), key: key, limit: exchange.state.config.upstreams[key.upstream].poolSize)
            } else {
                channel.close(promise: nil)
            }
        }
        self.finishResponse(keepAlive: exchange.keepAlive && exchange.requestEnded)
    }

    /// After a response: close, or go on with queued pipelined requests.
    private func finishResponse(keepAlive: Bool) {
        self.servedRequests += 1
        guard keepAlive else {
            self.closing = true
            // The response's last bytes wait for the end of the tick (`TickFlusher`); a close would drop them.
            self.context?.flush()
            self.context?.close(promise: nil)
            return
        }
        self.parseInput()
    }

    private func fail(_ exchange: Exchange, _ response: ErrorResponse) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        self.release(exchange)
        self.abandonUpstream(exchange)
        var response = response
        response.extra["request_id"] = .string(exchange.requestID.description)
        self.reject(response, head: exchange.head, unreadBody: !exchange.requestEnded)
    }

    /// Answers `head` with `response`. The connection closes after the answer when the client asked, when the
    /// request's body was not all read (rather than reading it only to drop it), or when the request asked to
    /// switch protocols (the parser stopped there).
    private func reject(_ response: ErrorResponse, head: ClientRequestHead, unreadBody: Bool) {
        let keepAlive = head.keepAlive && !unreadBody && !head.asksUpgrade
        self.reject(response, version: head.version, keepAlive: keepAlive, isHEAD: head.method == .HEAD)
    }

    private func reject(_ response: ErrorResponse, version: HTTPVersion, keepAlive: Bool, isHEAD: Bool) {
        guard let context = self.context else { return }
        let (bytes, bodyLength) = response.serialized(version: version, keepAlive: keepAlive, includeBody: !isHEAD, allocator: context.channel.allocator)
        self.finishRecord(status: response.status, bytes: bodyLength, reason: response.description)
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
        if keepAlive {
            self.finishResponse(keepAlive: true)
        } else {
            self.closing = true
            context.close(promise: nil)
        }
    }

    private func respondAndClose(_ response: ErrorResponse, version: HTTPVersion) {
        self.reject(response, version: version, keepAlive: false, isHEAD: false)
    }

    private func abandonUpstream(_ exchange: Exchange) {
        exchange.responseDeadline = nil
        if let handler = exchange.upstreamHandler { handler.delegate = nil }
        exchange.upstream?.close(promise: nil)
        exchange.upstream = nil
    }

    private func release(_ exchange: Exchange) {
        if let decision = exchange.rateDecision {
            exchange.state.rateLimiter.release(decision)
            exchange.rateDecision = nil
        }
    }

    // MARK: Timers and helpers

    /// Waits for the next request head: a new connection gets the header timeout (then 408), an idle
    /// keep-alive connection the idle timeout (then a silent close).
    private func armHeadTimer() {
        let config = self.server.state.config
        let seconds = self.servedRequests == 0 ? config.headerTimeout : config.idleTimeout
        self.headDeadline = .now() + .milliseconds(Int64(seconds * 1000))
    }

    /// Counts the firewall's final decision on a request: its blocks, or what detection-only rules would
    /// have blocked.
    private func countFirewall(_ decision: FirewallDecision) {
        self.loop.stats.firewallRuleErrors += decision.errors.count
        if decision.isDenied {
            let rules = decision.matches.filter { $0.action != .log && $0.action != .allow && !$0.detectionOnly }
            self.loop.stats.recordFirewall(blockingRules: rules.map { ($0.ruleID, $0.tags) }, blocked: true)
            self.record?.ruleIDs = decision.blockingRuleIDs
        } else if decision.wouldBlock {
            let rules = decision.matches.filter { $0.action != .log && $0.action != .allow }
            self.loop.stats.recordFirewall(blockingRules: rules.map { ($0.ruleID, $0.tags) }, blocked: false)
            self.record?.ruleIDs = rules.map(\.ruleID)
        }
    }

    /// The request has been answered: counts it, and writes its access-log line. Rejections and errors are
    /// always logged; allowed requests as sampled.
    private func finishRecord(status: Int, bytes: Int, reason: String? = nil) {
        let now = NIODeadline.now()
        // Taken, not copied: a copy retains each of its strings, and clearing the property releases them again.
        let held = self.record.take()
        if held != nil { self.loop.stats.inFlight -= 1 }
        let record = held ?? RequestRecord(started: now, method: "-", path: "-")
        let duration = now - record.started
        self.loop.stats.recordResponse(status: status, route: record.route, microseconds: UInt64(max(0, duration.nanoseconds / 1000)))
        guard let log = self.server.accessLog else { return }
        if status < 400, log.sampleAllowed < 1, Double.random(in: 0..<1) >= log.sampleAllowed { return }
        let entry = AccessLogEntry(
            method: record.method, path: record.path, status: status, bytes: bytes, durationMicroseconds: duration.nanoseconds / 1000,
            requestID: record.requestID?.description, client: record.client, route: record.route, upstream: record.upstream,
            upstreamMicroseconds: record.upstreamLatency.map { $0.nanoseconds / 1000 }, ruleIDs: record.ruleIDs, policy: record.policy,
            reason: reason
        )
        log.logger.info("", metadata: [AccessLogEntry.metadataKey: .stringConvertible(entry)])
    }

    static func firewallRejection(status: Int, decision: FirewallDecision, requestID: ProxyRequestID) -> ErrorResponse {
        ErrorResponse(
            status: status, description: "the request was blocked by the firewall",
            extra: ["rule_ids": .array(decision.blockingRuleIDs.map { .int($0) }), "request_id": .string(requestID.description)]
        )
    }

    private func peer(_ context: ChannelHandlerContext) -> String {
        if let peerAddress { return peerAddress }
        let address = context.channel.remoteAddress?.ipAddress ?? "0.0.0.0"
        self.peerAddress = address
        return address
    }

    static func cookies(_ fields: [String]) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in fields {
            for item in header.split(separator: ";") {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard let name = pair.first else { continue }
                cookies[ClientAddressResolver.trim(name)] = pair.count > 1 ? String(pair[1]) : ""
            }
        }
        return cookies
    }
}

@available(*, unavailable)
extension DownstreamHandler: Sendable {}
