// Top-level build file: plugin versions only; each module applies what it needs.
//
// AGP 8.13.2 is the first AGP whose bundled D8/R8 supports Kotlin 2.3, and
// Kotlin 2.3.21 matches kotlin.version in baladiya-kit/pom.xml, so the
// Android and the JVM (Maven) builds compile the kit with the same Kotlin.
// AGP 8.13 needs Gradle >= 8.13 and JDK 17: the wrapper (gradle/wrapper) pins Gradle 8.13 with
// the distribution's SHA-256, so `./gradlew` gets exactly that release.
// Every plugin is declared here with its version and `apply false`, so all modules share one
// classpath (the Compose compiler plugin's version must equal the Kotlin plugin's).
plugins {
    id("com.android.application") version "8.13.2" apply false
    id("com.android.library") version "8.13.2" apply false
    id("org.jetbrains.kotlin.android") version "2.3.21" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.3.21" apply false
}
