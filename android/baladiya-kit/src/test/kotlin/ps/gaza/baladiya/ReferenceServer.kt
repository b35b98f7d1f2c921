package ps.gaza.baladiya

import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The real reference server (the Rust binary) with sample data on a free loopback port. */
class ReferenceServer : AutoCloseable {
    val dataDir: Path = Files.createTempDirectory("baladiya-server-")
    private var process: Process
    val url: String

    init {
        val (started, address) = launch("127.0.0.1:0")
        process = started
        url = address
    }

    private fun launch(listen: String): Pair<Process, String> {
        val bin = System.getProperty("baladiya.server.bin") ?: error("baladiya.server.bin is not set")
        val builder = ProcessBuilder(bin, "--demo", "--listen", listen, "--data-dir", dataDir.toString())
        builder.environment()["BALADIYA_STAFF_TOKEN"] = STAFF_TOKEN
        builder.environment()["RUST_LOG"] = "warn"
        builder.redirectError(ProcessBuilder.Redirect.INHERIT)
        val started = builder.start()
        val reader = BufferedReader(InputStreamReader(started.inputStream))
        val line = reader.readLine() ?: error("server exited before listening")
        val address = line.removePrefix("listening on ").trim()
        check(address.startsWith("http://127.0.0.1:")) { "unexpected first line: $line" }
        return started to address
    }

    /** Stop the server (SIGTERM) but keep its database: the app now finds nobody listening. */
    fun stopKeepingData() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    /** Start the server again on the same address with the same database. */
    fun restart() {
        if (process.isAlive) stopKeepingData()
        val (started, address) = launch(url.removePrefix("http://").trimEnd('/'))
        process = started
        check(address == url) { "restarted at $address instead of $url" }
    }

    /** PUT a staff edit of a service (JSON body) and return the HTTP status. */
    fun putService(id: String, json: String): Int {
        val request = HttpRequest.newBuilder(URI.create("${url}api/v1/staff/guide/services/$id"))
            .header("Authorization", "Bearer $STAFF_TOKEN")
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json))
            .build()
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode()
    }

    /**
     * A dispatcher's action on a complaint (`{"action":"status","detailed_status":"in_progress",
     * "note":"…"}`); returns the HTTP status and the body.
     */
    fun staffAction(serverId: String, json: String): Pair<Int, String> {
        val request = HttpRequest.newBuilder(URI.create("${url}api/v1/staff/requests/$serverId/actions"))
            .header("Authorization", "Bearer $STAFF_TOKEN")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build()
        val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
        return response.statusCode() to response.body()
    }

    fun get(path: String): String =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString())
            .body()

    override fun close() {
        stopKeepingData()
        dataDir.toFile().deleteRecursively()
    }

    companion object {
        const val STAFF_TOKEN = "kotlin-test-staff-token"
    }
}
