// Not a test: the Swift side of the bindings benchmark, built in release and run by
// `scripts/bench-bindings.sh` against the release library and a reference server it started
// (`--demo`), whose address comes in BALADIYA_BENCH_SERVER_URL.
//
// A typical guide search (a page of 20), queries round-robin, timed around one call: through the
// generated binding directly (the C call + conversion of the hits, one record per hit), through the
// compact page the facade uses (the C call + one buffer + decoding it into the same hits), and
// through the facade's async function (which adds the hop off the caller's executor and back). Prints `BENCH` lines.

import BaladiyaKit
import Foundation

@main
struct SearchBench {
    static let queries = ["رخصة", "مياه", "permit", "رخصه بناء"]

    static func main() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["BALADIYA_BENCH_SERVER_URL"], !url.isEmpty else {
            FileHandle.standardError.write(Data("BALADIYA_BENCH_SERVER_URL is not set\n".utf8))
            exit(2)
        }
        let warmup = env["BALADIYA_BENCH_WARMUP"].flatMap { Int($0) } ?? 2_000
        let rounds = env["BALADIYA_BENCH_ROUNDS"].flatMap { Int($0) } ?? 5_000
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baladiya-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }

        let client = try BaladiyaClient(dataDir: dir.path, serverUrl: url)
        _ = try await client.syncGuide()
        var hits: [Int] = []
        for q in queries { hits.append(try await client.searchGuide(q, limit: 20).count) }
        print("sample catalogue; hits per query (page of 20): \(hits)")
        print("library: \(loadedLibrary())")

        let direct = try Baladiya.open(config: BaladiyaConfig(dataDir: dir.path, serverUrl: url))
        var times: [UInt64] = []
        times.reserveCapacity(rounds)
        for i in 0..<(warmup + rounds) {
            let t = DispatchTime.now().uptimeNanoseconds
            _ = try direct.searchGuide(query: queries[i % queries.count], limit: 20)
            let took = DispatchTime.now().uptimeNanoseconds - t
            if i >= warmup { times.append(took) }
        }
        report("swift-direct", times, warmup: warmup)

        // What the facade crosses: the compact page, decoded into the same [GuideHit].
        times.removeAll(keepingCapacity: true)
        for i in 0..<(warmup + rounds) {
            let t = DispatchTime.now().uptimeNanoseconds
            _ = try direct.searchGuidePage(query: queries[i % queries.count], limit: 20).hits()
            let took = DispatchTime.now().uptimeNanoseconds - t
            if i >= warmup { times.append(took) }
        }
        report("swift-page", times, warmup: warmup)

        // The smallest call there is: the fixed cost of crossing (one tiny SQLite read inside).
        times.removeAll(keepingCapacity: true)
        for i in 0..<(warmup + rounds) {
            let t = DispatchTime.now().uptimeNanoseconds
            _ = try direct.guideVersion()
            let took = DispatchTime.now().uptimeNanoseconds - t
            if i >= warmup { times.append(took) }
        }
        report("swift-direct-small", times, warmup: warmup)

        // The search call with nothing to find: crossing with its arguments, an empty page back.
        times.removeAll(keepingCapacity: true)
        for i in 0..<(warmup + rounds) {
            let t = DispatchTime.now().uptimeNanoseconds
            _ = try direct.searchGuide(query: "", limit: 20)
            let took = DispatchTime.now().uptimeNanoseconds - t
            if i >= warmup { times.append(took) }
        }
        report("swift-direct-empty", times, warmup: warmup)

        times.removeAll(keepingCapacity: true)
        for i in 0..<(warmup + rounds) {
            let t = DispatchTime.now().uptimeNanoseconds
            _ = try await client.searchGuide(queries[i % queries.count], limit: 20)
            let took = DispatchTime.now().uptimeNanoseconds - t
            if i >= warmup { times.append(took) }
        }
        report("swift-facade", times, warmup: warmup)
    }

    /// Which libbaladiya_ffi this process runs (the release build, for the numbers to mean it).
    static func loadedLibrary() -> String {
        // procfs files have no size: read to the end rather than by the size Foundation sees.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return "unknown" }
        let maps = String(decoding: data, as: UTF8.self)
        for line in maps.split(separator: "\n") where line.hasSuffix("libbaladiya_ffi.so") {
            if let slash = line.firstIndex(of: "/") { return String(line[slash...]) }
        }
        return "unknown"
    }

    static func report(_ label: String, _ times: [UInt64], warmup: Int) {
        let sorted = times.sorted()
        func at(_ p: Double) -> Double {
            Double(sorted[Int((Double(sorted.count - 1) * p).rounded())]) / 1_000
        }
        print("BENCH \(label) median_us=\(String(format: "%.1f", at(0.5))) p99_us=\(String(format: "%.1f", at(0.99))) n=\(sorted.count) warmup=\(warmup)")
    }
}
