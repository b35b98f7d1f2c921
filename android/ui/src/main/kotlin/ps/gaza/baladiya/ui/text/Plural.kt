package ps.gaza.baladiya.ui.text

import ps.gaza.baladiya.ui.common.text

/** CLDR plural categories (Unicode CLDR, "Language Plural Rules"), for whole numbers. */
enum class Plural {
    ZERO, ONE, TWO, FEW, MANY, OTHER;

    companion object {
        /** Arabic: 0 zero, 1 one, 2 two, n % 100 in 3..10 few, n % 100 in 11..99 many, else other. */
        fun arabic(n: Int): Plural {
            val h = Math.floorMod(n, 100)
            return when {
                n == 0 -> ZERO
                n == 1 -> ONE
                n == 2 -> TWO
                h in 3..10 -> FEW
                h in 11..99 -> MANY
                else -> OTHER
            }
        }

        /** English: 1 one, else other. */
        fun english(n: Int): Plural = if (n == 1) ONE else OTHER
    }
}
