// Android library module: uniffi-generated Kotlin bindings (package
// uniffi.baladiya_ffi, with the core's and wire's types in uniffi.baladiya_core and
// uniffi.baladiya_wire) + the coroutine/Flow facade (package ps.gaza.baladiya),
// with the Rust core as libbaladiya_ffi.so per ABI.
//
// Both Rust outputs are made by this build, from the sources in ../../ (never committed):
//   generateUniffiBindings  scripts/bindings.sh --only kotlin: a host build of the library
//                           (.so on Linux, .dylib on macOS) and uniffi-bindgen, into
//                           build/generated/uniffi/kotlin (regenerated after `clean`; the Maven
//                           build of this directory compiles the same folder)
//   cargoNdkBuild           cargo-ndk with the pinned NDK (baladiya.ndk.version) for the ABIs in
//                           baladiya.abis, release profile with full LTO, 16 KB pages, into
//                           build/generated/rustJniLibs/<abi>/libbaladiya_ffi.so
// Both are up to date (skipped) while the Rust sources are unchanged. With
// -Pbaladiya.rust.prebuilt=true the libraries are taken from src/main/jniLibs/<abi>/ instead
// (scripts/build-lib.sh's output, android/README.md).
//
// The JVM build of the same sources and tests is pom.xml in this directory.

import org.gradle.process.ExecOperations
import org.jetbrains.kotlin.gradle.dsl.JvmTarget
import javax.inject.Inject

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val jnaVersion = "5.19.1"
val coroutinesVersion = "1.11.0"
val junitVersion = "5.14.4"

// The repository root (android/..): the Cargo workspace.
val repoRoot: File = rootDir.parentFile
// The ABIs built and shipped (the app's abiFilters read the same property), the NDK, and the API
// level the library is linked for (the app's minSdk: 23 also packs relocations, see build.rs).
val shippedAbis = providers.gradleProperty("baladiya.abis").get().split(',').map { it.trim() }.filter { it.isNotEmpty() }
val pinnedNdk = providers.gradleProperty("baladiya.ndk.version").get()
val nativeApi = 23
val prebuiltNative = providers.gradleProperty("baladiya.rust.prebuilt").map { it.toBoolean() }.getOrElse(false)

android {
    namespace = "ps.gaza.baladiya.kit"
    compileSdk = 36
    // NDK r28c: links with 16 KB ELF alignment by default; bindings/build.rs also passes
    // -Wl,-z,max-page-size=16384 explicitly for every Android target. Also used to strip the .so.
    ndkVersion = pinnedNdk

    defaultConfig {
        // The native library is linked for API 23 (nativeApi), so the kit cannot go lower.
        minSdk = nativeApi
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
        ndk {
            abiFilters += shippedAbis
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets {
        getByName("main") {
            // The hand-written facade; the generated bindings are added per variant below.
            java.srcDirs("src/main/kotlin")
            // Only with -Pbaladiya.rust.prebuilt=true: scripts/build-lib.sh's libraries copied to
            // src/main/jniLibs/<abi>/ (else cargoNdkBuild's output is the only jniLibs folder).
            jniLibs.setSrcDirs(if (prebuiltNative) listOf("src/main/jniLibs") else emptyList<String>())
        }
        getByName("test") {
            java.srcDirs("src/test/kotlin")
        }
    }

    testOptions {
        unitTests.all { test ->
            // src/test holds JUnit 5 tests shared with the Maven build; they run
            // on the host JVM against the desktop cdylib, not the Android .so.
            test.useJUnitPlatform()
            val libDir = rootProject.file(
                providers.gradleProperty("baladiya.lib.dir").getOrElse("../target/debug"),
            )
            val serverBin = rootProject.file(
                providers.gradleProperty("baladiya.server.bin")
                    .getOrElse("../target/debug/baladiya-server"),
            )
            test.systemProperty("jna.library.path", libDir.absolutePath)
            test.systemProperty("baladiya.lib.dir", libDir.absolutePath)
            test.systemProperty("baladiya.server.bin", serverBin.absolutePath)
            test.environment("BALADIYA_LIB_DIR", libDir.absolutePath)
            test.environment("BALADIYA_SERVER_BIN", serverBin.absolutePath)
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

/** A task that runs cargo (found on PATH or in ~/.cargo/bin: Android Studio on macOS does not
 *  inherit the login shell's PATH) in the Cargo workspace. */
abstract class CargoTask : DefaultTask() {
    @get:Inject abstract val exec: ExecOperations

    /** The workspace root; its Rust sources are [rustSources]. */
    @get:Internal abstract val workspace: DirectoryProperty

    @get:InputFiles
    @get:PathSensitive(PathSensitivity.RELATIVE)
    abstract val rustSources: ConfigurableFileCollection

    @get:OutputDirectory abstract val outputDir: DirectoryProperty

    protected fun path(): String {
        val cargoHome = System.getenv("CARGO_HOME") ?: "${System.getProperty("user.home")}/.cargo"
        return listOfNotNull("$cargoHome/bin", System.getenv("PATH")).joinToString(File.pathSeparator)
    }
}

/** The Kotlin bindings, generated by uniffi from a host build of the library. */
abstract class GenerateUniffiBindings : CargoTask() {
    @TaskAction
    fun generate() {
        exec.exec {
            workingDir = workspace.get().asFile
            environment("PATH", path())
            commandLine(
                "bash", "scripts/bindings.sh", "--only", "kotlin",
                "--kotlin-out", outputDir.get().asFile.absolutePath,
            )
        }
    }
}

/** libbaladiya_ffi.so for each ABI, through cargo-ndk, as the app ships it. */
abstract class CargoNdkBuild : CargoTask() {
    @get:Input abstract val abis: ListProperty<String>
    @get:Input abstract val apiLevel: Property<Int>
    @get:Input abstract val ndkVersion: Property<String>
    @get:Internal abstract val ndkDirectory: DirectoryProperty

    @TaskAction
    fun build() {
        val out = outputDir.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        val root = workspace.get().asFile
        val ndk = ndkDirectory.get().asFile
        check(ndk.resolve("source.properties").readText().contains(ndkVersion.get())) {
            "$ndk is not NDK ${ndkVersion.get()}: sdkmanager \"ndk;${ndkVersion.get()}\""
        }
        val triples = abis.get().map {
            when (it) {
                "arm64-v8a" -> "aarch64-linux-android"
                "armeabi-v7a" -> "armv7-linux-androideabi"
                "x86_64" -> "x86_64-linux-android"
                "x86" -> "i686-linux-android"
                else -> error("unknown ABI $it")
            }
        }
        exec.exec {
            workingDir = root
            environment("PATH", path())
            commandLine(listOf("rustup", "target", "add") + triples)
        }
        // cargo-ndk sets CFLAGS_<target> itself, which hides the [env] values of
        // .cargo/config.toml for the C code (SQLite, ring): hand those over to it.
        val cargoConfig = root.resolve(".cargo/config.toml").readText()
        exec.exec {
            workingDir = root
            environment("PATH", path())
            environment("ANDROID_NDK_HOME", ndk.absolutePath)
            for (triple in triples) {
                val key = "CFLAGS_" + triple.replace('-', '_')
                Regex("^" + key + """\s*=\s*"([^"]*)"""", RegexOption.MULTILINE)
                    .find(cargoConfig)?.let { environment(key, it.groupValues[1]) }
            }
            // `cargo rustc --crate-type cdylib`, not `cargo build`: with "lib" among the crate's
            // crate-types cargo would build without LTO (scripts/build-lib.sh explains).
            commandLine(
                listOf("cargo", "ndk", "--platform", apiLevel.get().toString(), "--output-dir", out.absolutePath) +
                    abis.get().flatMap { listOf("--target", it) } +
                    listOf("rustc", "--release", "-p", "baladiya-ffi", "--lib", "--crate-type", "cdylib"),
            )
        }
    }
}

val rustInputs = files(
    repoRoot.resolve("Cargo.toml"),
    repoRoot.resolve("Cargo.lock"),
    repoRoot.resolve(".cargo/config.toml"),
    fileTree(repoRoot.resolve("core")) { exclude("target/**") },
    fileTree(repoRoot.resolve("wire")) { exclude("target/**") },
    fileTree(repoRoot.resolve("bindings")) { exclude("target/**") },
)

val generateUniffiBindings = tasks.register<GenerateUniffiBindings>("generateUniffiBindings") {
    group = "baladiya"
    description = "Generates the Kotlin bindings from a host build of the Rust library."
    workspace.set(repoRoot)
    rustSources.from(rustInputs)
    outputDir.set(layout.buildDirectory.dir("generated/uniffi/kotlin"))
}

val cargoNdkBuild = tasks.register<CargoNdkBuild>("cargoNdkBuild") {
    group = "baladiya"
    description = "Builds libbaladiya_ffi.so for $shippedAbis with cargo-ndk and NDK $pinnedNdk."
    workspace.set(repoRoot)
    rustSources.from(rustInputs)
    abis.set(shippedAbis)
    apiLevel.set(nativeApi)
    ndkVersion.set(pinnedNdk)
    ndkDirectory.set(androidComponents.sdkComponents.ndkDirectory)
    outputDir.set(layout.buildDirectory.dir("generated/rustJniLibs"))
}

androidComponents {
    onVariants { variant ->
        // KGP compiles the .kt files of Java source directories (AGP 8's sources.kotlin is not
        // wired into Kotlin compilation); the task runs before anything that reads them.
        variant.sources.java?.addGeneratedSourceDirectory(generateUniffiBindings, GenerateUniffiBindings::outputDir)
        if (!prebuiltNative) {
            variant.sources.jniLibs?.addGeneratedSourceDirectory(cargoNdkBuild, CargoNdkBuild::outputDir)
        }
    }
}

dependencies {
    // JNA as an AAR: classes plus libjnidispatch.so for each Android ABI.
    implementation("net.java.dev.jna:jna:$jnaVersion@aar")
    // The facade's public API exposes Flow and suspend functions.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:$coroutinesVersion")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:$coroutinesVersion")
    // Used by uniffi's Android cleaner (only when bindings are generated with
    // the Kotlin `android`/`android_cleaner` option; harmless otherwise).
    implementation("androidx.annotation:annotation:1.9.1")

    // Host JVM unit tests: the plain JNA jar carries the desktop
    // libjnidispatch that the AAR lacks.
    testImplementation("net.java.dev.jna:jna:$jnaVersion")
    testImplementation(platform("org.junit:junit-bom:$junitVersion"))
    testImplementation("org.junit.jupiter:junit-jupiter")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher")
    testImplementation("org.jetbrains.kotlinx:kotlinx-coroutines-test:$coroutinesVersion")
}
