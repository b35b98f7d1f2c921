// Android Studio / Gradle entry point for the Baladiya Android build.
// Open the android/ directory in Android Studio.
//
// The JVM build of the kit and the shared screens (desktop tests against the host cdylib, the
// screenshots) is Maven: android/pom.xml. Both builds share the same sources.

pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "Baladiya"

include(":baladiya-kit", ":ui", ":app")
