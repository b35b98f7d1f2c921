// The app's screens, their state holders and texts, shared by the Android app (:app) and the JVM
// tests (android/ui/pom.xml renders them with JetBrains Compose for desktop). Only APIs common to
// androidx.compose and JetBrains Compose are used here: Android services come through the
// Platform interface, which :app implements.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    // Version declared once at the root (../build.gradle.kts, equal to the Kotlin plugin's).
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "ps.gaza.baladiya.ui"
    compileSdk = 36

    defaultConfig {
        minSdk = 23
    }

    buildFeatures {
        compose = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets {
        // src/desktop and src/test are the JVM host's (Maven), not Android's.
        getByName("main") {
            java.srcDirs("src/main/kotlin")
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    api(project(":baladiya-kit"))
    val composeBom = platform("androidx.compose:compose-bom:2025.09.00")
    implementation(composeBom)
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.foundation:foundation")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
