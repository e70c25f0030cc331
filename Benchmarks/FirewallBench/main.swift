import CAllocationCounter
import Firewall

#if canImport(Glibc)
import Glibc
#endif

/// The cost of evaluating the default rule set on one request, single-threaded: ns and heap allocations per
/// request for a plain GET, a GET with a 10-argument query, a 2 KB JSON POST, and the 2 KB JSON POST of the
/// proxy benchmark (`make bench-proxy`).
///
///     firewall-bench [rules directory, default rules/firewall] [iterations, default 20000] [only: case number, 1-6]
///                    [reusing: time only evaluations in the last one's storage, as the proxy makes them]
let arguments = CommandLine.arguments
let rulesPath = arguments.count > 1 ? arguments[1] : "rules/firewall"
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000
let only = arguments.count > 3 ? Int(arguments[3]) : nil
let reusingOnly = arguments.count > 4 && arguments[4] == "reusing"

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

let browserHeaders: [(name: String, value: String)] = [
    ("Host", "shop.example.com"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Cookie", "session=eyJ1c2VyX2lkIjo0Mn0.ZwXyAb.kP3v9c2Wq; theme=dark"),
]

func jsonBody(bytes target: Int) -> [UInt8] {
    var items: [String] = []
    var index = 0
    while items.joined(separator: ",").utf8.count < target - 120 {
        items.append(#"{"sku":"BRG-\#(index)","name":"Classic burger \#(index)","qty":\#(index % 4 + 1),"note":"No onions, extra cheese please; ring twice."}"#)
        index += 1
    }
    return Array(#"{"customer":{"id":42,"email":"jane@example.com"},"items":[\#(items.joined(separator: ","))]}"#.utf8)
}

/// The 2,048-byte body `../shared/bench/reference.sh` posts in its `post2k` workload (its wrk script, written
/// out the same way): 29 order items of four fields, a user object and padding, 120 fields in all.
func referenceBody() -> [UInt8] {
    var body = #"{"user":{"id":42,"name":"alice","email":"alice@example.com"},"items":["#
    var index = 0
    while true {
        let sku = String(repeating: "0", count: max(0, 5 - String(index * 7).count)) + String(index * 7)
        let item = #"{"id":\#(index),"sku":"SKU-\#(sku)","qty":\#(index % 5 + 1),"note":"regular order item"}"#
        if body.utf8.count + item.utf8.count + 16 > 2048 { break }
        if index > 0 { body += "," }
        body += item
        index += 1
    }
    body += #"],"pad":""#
    body += String(repeating: "x", count: 2048 - body.utf8.count - 2) + #""}"#
    return Array(body.utf8)
}

let cases: [(String, FirewallRequest)] = [
    ("GET, 5 headers", FirewallRequest(method: "GET", uri: "/api/teams/1", headers: browserHeaders, clientAddress: "198.51.100.7")),
    (
        "GET, 10-argument query",
        FirewallRequest(
            method: "GET",
            uri: "/api/orders?sort=created_at&order=desc&limit=20&offset=40&status=shipped&from=2026-01-01&to=2026-11-30&q=classic+burger&region=eu-west&currency=EUR",
            headers: browserHeaders, clientAddress: "198.51.100.7"
        )
    ),
    (
        "POST, 2 KB JSON",
        FirewallRequest(
            method: "POST", uri: "/api/orders", headers: browserHeaders + [("Content-Type", "application/json"), ("Content-Length", "2048")],
            body: jsonBody(bytes: 2048), clientAddress: "198.51.100.7"
        )
    ),
    (
        "POST, reference.sh's 2 KB JSON",
        FirewallRequest(
            method: "POST", uri: "/api", headers: browserHeaders + [("Content-Type", "application/json"), ("Content-Length", "2048")],
            body: referenceBody(), clientAddress: "198.51.100.7"
        )
    ),
    // reference.sh's `get` workload as the proxy's firewall sees it: wrk sends a Host header only.
    ("GET, Host only (reference.sh's get)", FirewallRequest(method: "GET", uri: "/api", headers: [("Host", "127.0.0.1:8090")], clientAddress: "127.0.0.1")),
    // reference.sh's `query` workload: its three headers (as `get_host`) and a two-argument query.
    (
        "GET, 3 headers, 2 arguments (reference.sh's query)",
        FirewallRequest(
            method: "GET", uri: "/api?id=42&name=alice",
            headers: [("Host", "api.example.com"), ("User-Agent", "refbench/1.0"), ("Accept", "application/json")], clientAddress: "127.0.0.1"
        )
    ),
]

do {
    let ruleSet = try RuleSetLoader.load(path: rulesPath)
    print("\(ruleSet.rules.count) rules from \(rulesPath), \(iterations) iterations each")
    print(
        "| request | body bytes | ns/request | allocations/request | ns/request, reusing the last evaluation "
            + "| ns/request, reusing, fastest of 20 batches | allocations/request, reusing | verdict |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for (number, (name, request)) in cases.enumerated() where only == nil || only == number + 1 {
        var verdict = ruleSet.evaluate(request).verdict
        // Fresh evaluations, each allocating its own storage; left out when only the reused ones are counted
        // (`Benchmarks/firewall-instructions.sh` divides a run's instructions by its evaluations).
        let fresh = reusingOnly ? 0 : iterations
        for _ in 0..<(fresh / 10) { verdict = ruleSet.evaluate(request).verdict }
        let allocationsBefore = rampart_allocation_count()
        let start = now()
        for _ in 0..<fresh { verdict = ruleSet.evaluate(request).verdict }
        let elapsed = now() - start
        let allocations = rampart_allocation_count() - allocationsBefore
        // As the proxy evaluates: each evaluation starts in the storage of the one before.
        var spare: FirewallEvaluation?
        _ = ruleSet.evaluate(request, reusing: &spare)
        let reusingBefore = rampart_allocation_count()
        let reusingStart = now()
        // In batches, whose fastest is reported too: on a shared VM a whole run's average moves by 10-20% from one
        // run to the next, while the fastest batch, the one least interrupted, moves by a few percent.
        let (batches, perBatch) = (20, max(1, iterations / 20))
        var fastestBatch = UInt64.max
        for _ in 0..<batches {
            let batchStart = now()
            for _ in 0..<perBatch { _ = ruleSet.evaluate(request, reusing: &spare) }
            fastestBatch = min(fastestBatch, (now() - batchStart) / UInt64(perBatch))
        }
        let reusingElapsed = now() - reusingStart
        let reusing = rampart_allocation_count() - reusingBefore
        print(
            "| \(name) | \(request.body.count) | \(elapsed / UInt64(max(1, fresh))) | \(allocations / max(1, fresh)) "
                + "| \(reusingElapsed / UInt64(batches * perBatch)) | \(fastestBatch) | \(reusing / (batches * perBatch)) | \(verdict) |"
        )
    }
} catch {
    print("firewall-bench: \(error)")
    exit(1)
}
