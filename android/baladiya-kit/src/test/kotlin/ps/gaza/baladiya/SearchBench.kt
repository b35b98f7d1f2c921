package ps.gaza.baladiya

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable
import uniffi.baladiya_ffi.Baladiya
import uniffi.baladiya_ffi.BaladiyaConfig
import java.io.File
import java.nio.file.Files
import java.util.Locale

/**
 * Not a test: the Kotlin side of the bindings benchmark, run by `scripts/bench-bindings.sh`
 * against the release library and a reference server it started (`--demo`).
 *
 * Surefire's default includes (`*Test`, `*Tests`, `Test*`, `*TestCase`) do not pick this class
 * up, and it is disabled unless `BALADIYA_BENCH_SERVER_URL` is set (Gradle runs every class).
 *
 * A typical guide search (a page of 20), queries round-robin, timed around one call: through the
 * generated binding directly (JNA + conversion of the hits, one record per hit), through the
 * compact page the facade uses (JNA + one buffer + decoding it into the same hits), and through the
 * facade's suspend function (which adds the hop to `Dispatchers.IO` and back). Prints `BENCH` lines for the script.
 */
@EnabledIfEnvironmentVariable(named = "BALADIYA_BENCH_SERVER_URL", matches = ".+")
class SearchBench {
    private val queries = listOf("رخصة", "مياه", "permit", "رخصه بناء")
    private val warmup = System.getenv("BALADIYA_BENCH_WARMUP")?.toIntOrNull() ?: 2_000
    private val rounds = System.getenv("BALADIYA_BENCH_ROUNDS")?.toIntOrNull() ?: 5_000

    @Test
    fun searchRoundTrip() = runBlocking {
        val url = System.getenv("BALADIYA_BENCH_SERVER_URL")!!
        val dir = Files.createTempDirectory("baladiya-bench-")
        try {
            BaladiyaClient.open(dir.toString(), url).use { client ->
                client.syncGuide()
                val hits = queries.map { client.searchGuide(it, 20).size }
                println("sample catalogue; hits per query (page of 20): $hits")
                println("JVM: ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}")
                println("library: ${loadedLibrary()}")

                Baladiya.open(BaladiyaConfig(dataDir = dir.toString(), serverUrl = url)).use { direct ->
                    val times = measure { i -> direct.searchGuide(queries[i % queries.size], 20u) }
                    report("kotlin-direct", times)
                    // What the facade crosses: the compact page, decoded into the same GuideHits.
                    report("kotlin-page", measure { i -> direct.searchGuidePage(queries[i % queries.size], 20u).hits() })

                    // The smallest call there is: the fixed cost of crossing (one tiny SQLite read inside).
                    report("kotlin-direct-small", measure { direct.guideVersion() })
                    // The search call with nothing to find: crossing with its arguments, an empty page back.
                    report("kotlin-direct-empty", measure { direct.searchGuide("", 20u) })
                }

                val times = LongArray(rounds)
                for (i in 0 until warmup + rounds) {
                    val t = System.nanoTime()
                    client.searchGuide(queries[i % queries.size], 20)
                    val took = System.nanoTime() - t
                    if (i >= warmup) times[i - warmup] = took
                }
                report("kotlin-facade", times)
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    private inline fun measure(call: (Int) -> Unit): LongArray {
        for (i in 0 until warmup) call(i)
        val times = LongArray(rounds)
        for (i in 0 until rounds) {
            val t = System.nanoTime()
            call(i)
            times[i] = System.nanoTime() - t
        }
        return times
    }

    /** Which libbaladiya_ffi this process runs (the release build, for the numbers to mean it). */
    private fun loadedLibrary(): String =
        runCatching { File("/proc/self/maps").readLines().map { it.substringAfter('/', "") } }
            .getOrDefault(emptyList())
            .firstOrNull { it.endsWith("libbaladiya_ffi.so") }
            ?.let { "/$it" } ?: "unknown"

    private fun report(label: String, times: LongArray) {
        times.sort()
        fun at(p: Double) = times[Math.round((times.size - 1) * p).toInt()] / 1_000.0
        println(String.format(Locale.ROOT, "BENCH %s median_us=%.1f p99_us=%.1f n=%d warmup=%d", label, at(0.5), at(0.99), times.size, warmup))
    }
}
