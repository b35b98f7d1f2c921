// Android library module: uniffi-generated Kotlin bindings (package
// uniffi.baladiya_ffi) + the coroutine/Flow facade (package ps.gaza.baladiya),
// with the Rust core as libbaladiya_ffi.so per ABI in src/main/jniLibs.
//
// Inputs produced outside Gradle, never committed:
//   build/generated/uniffi/kotlin/  <- uniffi-bindgen (bindings script)
//   src/main/jniLibs/<abi>/libbaladiya_ffi.so  <- scripts/build-lib.sh <target> (android/README.md)
//
// The JVM build of the same sources and tests is pom.xml in this directory.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val jnaVersion = "5.19.1"
val coroutinesVersion = "1.11.0"
val junitVersion = "5.14.4"

android {
    namespace = "ps.gaza.baladiya.kit"
    compileSdk = 36

    defaultConfig {
        // The library is built for the app's minSdk (ANDROID_API in scripts/build-lib.sh).
        minSdk = 21
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
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
            // Hand-written facade plus the generated bindings. Kotlin sources
            // in java.srcDirs are compiled by the Kotlin Android plugin.
            java.srcDirs("src/main/kotlin", "build/generated/uniffi/kotlin")
            // scripts/build-lib.sh's output, copied to src/main/jniLibs/<abi>/libbaladiya_ffi.so
            jniLibs.srcDirs("src/main/jniLibs")
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
