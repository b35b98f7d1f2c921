// The Baladiya Android app: a thin Jetpack Compose shell over :baladiya-kit. Every decision
// (search, validation, the outbox, sync, bills, news) is in the Rust core behind the kit's
// BaladiyaClient; this module renders its answers and uses platform services (photo picker,
// location, WorkManager, notifications, intents).

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    // Kotlin 2.x compiles Compose through this plugin; its version is the root build's
    // (../build.gradle.kts, equal to the Kotlin plugin's).
    id("org.jetbrains.kotlin.plugin.compose")
}

// Where the app talks to. Release: the municipal API over https. Debug: the reference server on
// the developer's machine through `adb reverse tcp:8080 tcp:8080` (the core accepts plain http
// only to loopback, so 10.0.2.2 would be refused). Override with -Pbaladiya.server.url=...
val releaseServerUrl = providers.gradleProperty("baladiya.server.url")
    .getOrElse("https://api.baladiya.gaza.example/")
val debugServerUrl = providers.gradleProperty("baladiya.debug.server.url")
    .getOrElse("http://127.0.0.1:8080/")
// The Open311 api_key of this app (the reference server with --demo accepts demo-app-key).
val open311ApiKey = providers.gradleProperty("baladiya.open311.api.key").getOrElse("demo-app-key")
// The ABIs the Rust library is built for (:baladiya-kit's cargoNdkBuild reads the same property):
// the app ships exactly these, so a device on another ABI is refused by the store instead of
// installing an app that crashes at its first call (JNA's AAR carries more ABIs than we build).
val shippedAbis = providers.gradleProperty("baladiya.abis").get().split(',').map { it.trim() }.filter { it.isNotEmpty() }
val splitPerAbi = providers.gradleProperty("baladiya.split.abi").map { it.toBoolean() }.getOrElse(false)

android {
    namespace = "ps.gaza.baladiya.app"
    compileSdk = 36
    // The pinned NDK (r28c), the same as :baladiya-kit's; the app's build strips the .so with it.
    ndkVersion = providers.gradleProperty("baladiya.ndk.version").get()

    defaultConfig {
        applicationId = "ps.gaza.baladiya"
        // 23: the AndroidX libraries below are moving their floor to 23, and runtime permissions
        // (location, notifications) behave the same everywhere from there. The kit itself needs 21.
        minSdk = 23
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        buildConfigField("String", "OPEN311_API_KEY", "\"$open311ApiKey\"")
        // Only the two languages we translate ship (no stray library translations in the APK).
        // (Newer AGP names this androidResources.localeFilters; this name still works in 8.x.)
        resourceConfigurations += listOf("ar", "en")
        // AGP refuses ndk.abiFilters together with ABI splits; the splits below list the same ABIs.
        if (!splitPerAbi) {
            ndk {
                abiFilters += shippedAbis
            }
        }
    }

    buildTypes {
        debug {
            applicationIdSuffix = ".debug"
            buildConfigField("String", "SERVER_URL", "\"$debugServerUrl\"")
        }
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            buildConfigField("String", "SERVER_URL", "\"$releaseServerUrl\"")
            // Signing is configured outside the repository (Play App Signing or a local
            // keystore.properties); an unsigned release is what CI would produce.
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets {
        getByName("main") {
            java.srcDirs("src/main/kotlin")
        }
    }

    // One APK per ABI keeps the download small for people who pay for data: the Rust library and
    // JNA's dispatcher are native code. Play's App Bundle does the same split automatically.
    splits {
        abi {
            isEnable = splitPerAbi
            reset()
            include(*shippedAbis.toTypedArray())
            isUniversalApk = false
        }
    }

    packaging {
        resources.excludes += setOf("/META-INF/{AL2.0,LGPL2.1}", "/META-INF/*.kotlin_module")
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":baladiya-kit"))

    // The screens, their models and texts: shared with the JVM tests (android/ui).
    implementation(project(":ui"))
    val composeBom = platform("androidx.compose:compose-bom:2025.09.00")
    implementation(composeBom)
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.foundation:foundation")
    implementation("androidx.compose.material3:material3")
    // material3 no longer brings the core icons itself; the core set is small (no extended icons).
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.compose.ui:ui-tooling-preview")
    debugImplementation("androidx.compose.ui:ui-tooling")

    implementation("androidx.activity:activity-compose:1.10.1")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.9.2")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.9.2")
    implementation("androidx.work:work-runtime-ktx:2.10.2")
    implementation("com.google.android.gms:play-services-location:21.3.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
