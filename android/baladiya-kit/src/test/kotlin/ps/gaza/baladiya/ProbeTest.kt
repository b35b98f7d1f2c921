// THROWAWAY build probe test.
package ps.gaza.baladiya

import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.test.runTest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.baladiya_ffi.Probe
import java.io.File

class ProbeTest {
    @Test
    fun jnaCallsLibcFromCoroutines() = runBlocking {
        // UTF-8 bytes: "بلدية" is 5 Arabic letters x 2 bytes.
        assertEquals(listOf(5L, 0L, 10L), Probe.strlens(listOf("hello", "", "بلدية")))
        assertEquals(ProcessHandle.current().pid(), Probe.pid().toLong())
        assertTrue(Probe.jnaVersion().startsWith("5."), Probe.jnaVersion())
    }

    @Test
    fun surefirePassesPaths() {
        val lib = System.getProperty("jna.library.path")
        val bin = System.getProperty("baladiya.server.bin")
        println("jna.library.path=$lib exists=${File(lib).isDirectory}")
        println("baladiya.server.bin=$bin exists=${File(bin).exists()}")
        assertEquals(File(lib).canonicalFile, File("../../target/debug").canonicalFile)
        assertEquals(File(bin).canonicalFile, File("../../target/debug/baladiya-server").canonicalFile)
        assertEquals(lib, System.getenv("BALADIYA_LIB_DIR"))
    }

    @Test
    fun coroutinesTestWorks() = runTest {
        kotlinx.coroutines.delay(60_000) // virtual time
        assertEquals(60_000L, testScheduler.currentTime)
    }
}

class ProbeFacadeTest {
    @Test
    fun flowFromFacade() = runBlocking {
        val got = mutableListOf<Long>()
        ProbeFacade.lengths(listOf("ab", "abc")).collect { got += it }
        assertEquals(listOf(2L, 3L), got)
    }
}
