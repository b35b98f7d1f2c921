package ps.gaza.baladiya.ui.complaints

/**
 * Photos for a complaint: what the core decodes as it is (JPEG, PNG). Anything else a gallery
 * hands over (HEIC/HEIF from newer cameras, WebP — the core refuses it, to stay small) the
 * platform re-encodes as JPEG before filing. The same rule as BaladiyaKit's `PhotoData` on iOS.
 */
object PhotoBytes {
    fun isReadableByCore(bytes: ByteArray): Boolean {
        fun startsWith(vararg magic: Int) = bytes.size >= magic.size && magic.indices.all { bytes[it] == magic[it].toByte() }
        return startsWith(0xFF, 0xD8) || startsWith(0x89, 0x50, 0x4E, 0x47)
    }
}
