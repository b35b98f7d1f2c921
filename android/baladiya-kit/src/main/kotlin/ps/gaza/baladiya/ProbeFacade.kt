// THROWAWAY: facade-side source referencing the generated package.
package ps.gaza.baladiya

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import uniffi.baladiya_ffi.Probe

object ProbeFacade {
    fun lengths(words: List<String>): Flow<Long> = flow { Probe.strlens(words).forEach { emit(it) } }
}
