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
    private val process: Process
    val url: String

    init {
        val bin = System.getProperty("baladiya.server.bin") ?: error("baladiya.server.bin is not set")
        val builder = ProcessBuilder(bin, "--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir.toString())
        builder.environment()["BALADIYA_STAFF_TOKEN"] = STAFF_TOKEN
        builder.environment()["RUST_LOG"] = "warn"
        builder.redirectError(ProcessBuilder.Redirect.INHERIT)
        process = builder.start()
        val reader = BufferedReader(InputStreamReader(process.inputStream))
        val line = reader.readLine() ?: error("server exited before listening")
        url = line.removePrefix("listening on ").trim()
        check(url.startsWith("http://127.0.0.1:")) { "unexpected first line: $line" }
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

    fun get(path: String): String =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString())
            .body()

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
        dataDir.toFile().deleteRecursively()
    }

    companion object {
        const val STAFF_TOKEN = "kotlin-test-staff-token"
    }
}
