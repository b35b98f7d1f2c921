// Android Studio / Gradle entry point for the Baladiya Android build.
// Open the android/ directory in Android Studio.
//
// The JVM-only build of the kit (desktop tests against the host cdylib) is
// Maven: android/baladiya-kit/pom.xml. Both builds share the same sources.

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

include(":baladiya-kit", ":app")
