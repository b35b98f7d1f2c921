#!/usr/bin/env bash
# What the app stores check on upload, checked here without Xcode or the Android SDK:
#   - ios/BaladiyaApp/Resources/PrivacyInfo.xcprivacy is a valid XML property list and declares,
#     with an approved reason, every required-reason API category that the Rust library calls
#     (from its undefined symbols: the Linux build here stands in for the iOS one; on a Mac pass
#     the static library of the XCFramework), that SQLite's Apple-only code calls (statfs and
#     fstatfs, not in a Linux build), and that the Swift sources use (UserDefaults);
#   - the app icon: Assets.xcassets/AppIcon.appiconset has a 1024x1024 PNG for the light, dark and
#     tinted appearances, the light one without an alpha channel (App Store Connect refuses it);
#   - Info.plist is a valid property list with ITSAppUsesNonExemptEncryption = false;
#   - the Gradle wrapper: the jar is Gradle 8.13's (its published SHA-256) and the distribution is
#     pinned by SHA-256;
#   - the Android build's settings: the NDK pinned to r28 or later (16 KB pages), the ABIs, R8
#     keeping the annotations JNA reads; the app's manifest and resources: well-formed, every
#     @type/name and R.type.name reference defined, every string translated, every component
#     the manifest names a class of the app (what aapt2 and lint would refuse; no SDK here).
#
#   scripts/check-app-manifests.sh      # target/x86_64-unknown-linux-gnu/release/libbaladiya_ffi.so
#                                       # (scripts/build-lib.sh), else aarch64, else target/debug
#   scripts/check-app-manifests.sh path/to/libbaladiya_ffi.{so,a}
# Needs python3 and nm (binutils). Ends with "manifests: N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

lib="${1:-}"
if [[ -z $lib ]]; then
  target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])' 2>/dev/null || echo "$root/target")"
  # The release builds (full LTO: only what is really called survives) first, then debug.
  for cand in "$target_dir"/x86_64-unknown-linux-gnu/release/libbaladiya_ffi.so \
    "$target_dir"/aarch64-unknown-linux-gnu/release/libbaladiya_ffi.so \
    "$target_dir"/debug/libbaladiya_ffi.so; do
    if [[ -f $cand ]]; then lib="$cand"; break; fi
  done
fi
[[ -n $lib && -f $lib ]] || { echo "check-app-manifests: no libbaladiya_ffi built (cargo build -p baladiya-ffi)" >&2; exit 1; }
command -v nm >/dev/null || { echo "check-app-manifests: nm is required (binutils)" >&2; exit 1; }

symbols="$(mktemp)"
trap 'rm -f "$symbols"' EXIT
case $lib in
  *.so) nm -D --undefined-only "$lib" ;;
  *) nm -u "$lib" 2>/dev/null ;;
esac | awk '{ print $NF }' | sort -u >"$symbols"

python3 - "$lib" "$symbols" <<'PY'
import hashlib, json, pathlib, plistlib, re, struct, sys

lib, symbols_file = sys.argv[1], sys.argv[2]
root = pathlib.Path(".")
passed = failed = 0

def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {what}")
    else:
        failed += 1
        print(f"  FAIL  {what}")

# Apple's required-reason APIs that a C or Rust library can call, by category, and the approved
# reasons (Apple's "Describing use of required reason API"). Linux spellings of the same calls
# (stat64, statx, the glibc __xstat family) count: the Linux build stands in for the iOS one.
CATEGORIES = {
    "NSPrivacyAccessedAPICategoryFileTimestamp": (
        {"stat", "fstat", "lstat", "fstatat", "getattrlist", "fgetattrlist", "getattrlistat",
         "getattrlistbulk", "stat64", "fstat64", "lstat64", "fstatat64", "newfstatat", "statx",
         "__xstat", "__fxstat", "__lxstat", "__fxstatat", "__xstat64", "__fxstat64",
         "__lxstat64", "__fxstatat64"},
        {"DDA9.1", "C617.1", "3B52.1", "0A2A.1"}),
    "NSPrivacyAccessedAPICategoryDiskSpace": (
        {"statfs", "fstatfs", "statvfs", "fstatvfs", "statfs64", "fstatfs64", "statvfs64",
         "fstatvfs64"},
        {"85F4.1", "E174.1", "7D9E.1", "B728.1"}),
    "NSPrivacyAccessedAPICategorySystemBootTime": (
        {"mach_absolute_time"},
        {"35F9.1", "8FFB.1", "3D61.1"}),
    "NSPrivacyAccessedAPICategoryUserDefaults": (set(), {"CA92.1", "1C8F.1", "C56D.1", "AC6B.1"}),
    "NSPrivacyAccessedAPICategoryActiveKeyboards": (set(), {"3EC4.1", "54BD.1"}),
}

def plain(sym):
    # Mach-O's leading underscore, ELF symbol versions (stat64@GLIBC_2.33), Apple's variants
    # (_stat$INODE64).
    sym = sym.split("@", 1)[0].split("$", 1)[0]
    if lib.endswith(".a") and sym.startswith("_"):
        sym = sym[1:]
    return sym

imported = {plain(s) for s in pathlib.Path(symbols_file).read_text().split()}
needed = {}  # category -> why
for cat, (apis, _) in CATEGORIES.items():
    hit = sorted(apis & imported)
    if hit:
        needed[cat] = f"the library imports {', '.join(hit)}"
# SQLite's unix VFS on Apple platforms (SQLITE_ENABLE_LOCKING_STYLE, on by default under
# __APPLE__) calls statfs and fstatfs: invisible in a Linux build.
if 'name = "libsqlite3-sys"' in (root / "Cargo.lock").read_text():
    needed.setdefault("NSPrivacyAccessedAPICategoryDiskSpace",
                      "SQLite (libsqlite3-sys) calls statfs/fstatfs on Apple platforms")
# The Swift side (the kit and the app; tests aside).
swift = [p for p in (root / "ios").rglob("*.swift")
         if "Tests" not in p.parts and ".build" not in p.parts]
uses_defaults = sorted(str(p) for p in swift
                       if re.search(r"\b(NS)?UserDefaults\b", p.read_text(errors="replace")))
if uses_defaults:
    needed["NSPrivacyAccessedAPICategoryUserDefaults"] = f"{uses_defaults[0]} uses UserDefaults"

print(f"==> privacy manifest against {lib} ({len(imported)} imported symbols)")
manifest_path = root / "ios/BaladiyaApp/Resources/PrivacyInfo.xcprivacy"
try:
    manifest = plistlib.loads(manifest_path.read_bytes(), fmt=plistlib.FMT_XML)
    check(isinstance(manifest, dict), f"{manifest_path} is an XML property list")
except Exception as e:  # noqa: BLE001
    manifest = {}
    check(False, f"{manifest_path} is an XML property list ({e})")
check(manifest.get("NSPrivacyTracking") is False, "NSPrivacyTracking is false")
declared = {}
for entry in manifest.get("NSPrivacyAccessedAPITypes", []):
    declared[entry.get("NSPrivacyAccessedAPIType")] = entry.get("NSPrivacyAccessedAPITypeReasons", [])
for cat, reasons in declared.items():
    known = CATEGORIES.get(cat, (None, set()))[1]
    check(cat in CATEGORIES and reasons and set(reasons) <= known,
          f"{cat}: reasons {reasons} approved for it")
for cat, why in sorted(needed.items()):
    check(cat in declared, f"{cat} declared ({why})")

print("==> app icon")
icons = root / "ios/BaladiyaApp/Resources/Assets.xcassets/AppIcon.appiconset"
try:
    contents = json.loads((icons / "Contents.json").read_text())
except Exception as e:  # noqa: BLE001
    contents = {"images": []}
    check(False, f"{icons}/Contents.json ({e})")
by_look = {}
for image in contents.get("images", []):
    look = "light"
    for a in image.get("appearances", []):
        if a.get("appearance") == "luminosity":
            look = a.get("value")
    by_look[look] = image
for look in ("light", "dark", "tinted"):
    image = by_look.get(look)
    if not image or "filename" not in image:
        check(False, f"{look} icon listed in Contents.json")
        continue
    png = icons / image["filename"]
    head = png.read_bytes()[:33] if png.exists() else b""
    ok = head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    w, h = struct.unpack(">II", head[16:24]) if ok else (0, 0)
    colour = head[25] if ok else -1
    check(ok and (w, h) == (1024, 1024) and image.get("size") == "1024x1024",
          f"{look} icon {image['filename']}: PNG {w}x{h}")
    if look == "light":
        check(colour in (0, 2), f"light icon has no alpha channel (PNG colour type {colour})")

print("==> Info.plist")
try:
    info = plistlib.loads((root / "ios/BaladiyaApp/Info.plist").read_bytes())
except Exception as e:  # noqa: BLE001
    info = {}
    check(False, f"ios/BaladiyaApp/Info.plist is a property list ({e})")
check(info.get("ITSAppUsesNonExemptEncryption") is False, "ITSAppUsesNonExemptEncryption is false")

print("==> Gradle wrapper")
WRAPPER_JAR_SHA256 = "81a82aaea5abcc8ff68b3dfcb58b3c3c429378efd98e7433460610fecd7ae45f"  # Gradle 8.13
jar = root / "android/gradle/wrapper/gradle-wrapper.jar"
digest = hashlib.sha256(jar.read_bytes()).hexdigest() if jar.exists() else "missing"
check(digest == WRAPPER_JAR_SHA256, f"gradle-wrapper.jar is Gradle 8.13's ({digest[:16]}…)")
props = (root / "android/gradle/wrapper/gradle-wrapper.properties")
text = props.read_text() if props.exists() else ""
check("gradle-8.13-bin.zip" in text and re.search(r"^distributionSha256Sum=[0-9a-f]{64}$", text, re.M),
      "gradle-wrapper.properties pins gradle-8.13-bin.zip by SHA-256")

print("==> Android build settings")
gprops = {}
gp = root / "android/gradle.properties"
for line in (gp.read_text().splitlines() if gp.exists() else []):
    if "=" in line and not line.lstrip().startswith("#"):
        k, v = line.split("=", 1)
        gprops[k.strip()] = v.strip()
ndk = gprops.get("baladiya.ndk.version", "")
check(re.fullmatch(r"\d+\.\d+\.\d+", ndk) is not None and int(ndk.split(".")[0]) >= 28,
      f"NDK pinned to r28 or later (baladiya.ndk.version={ndk or 'missing'}: 16 KB pages by default)")
abis = [a.strip() for a in gprops.get("baladiya.abis", "").split(",") if a.strip()]
check(bool(abis) and set(abis) <= {"arm64-v8a", "armeabi-v7a", "x86_64", "x86"},
      f"ABIs built and shipped: {abis}")
rules = root / "android/app/proguard-rules.pro"
check(rules.exists() and re.search(r"^-keepattributes .*RuntimeVisibleAnnotations", rules.read_text(), re.M),
      "R8 keeps RuntimeVisibleAnnotations (JNA's @Structure.FieldOrder)")

print("==> Android manifest and resources (what aapt2 would refuse)")
import xml.etree.ElementTree as ET
ANDROID = "{http://schemas.android.com/apk/res/android}"
app_main = root / "android/app/src/main"
res = app_main / "res"
defined = set()  # (type, name)
parsed_ok = True
xml_texts = []
for f in sorted(res.rglob("*.xml")):
    try:
        tree = ET.parse(f)
    except ET.ParseError as e:
        parsed_ok = False
        check(False, f"{f} is well-formed XML ({e})")
        continue
    xml_texts.append(f.read_text())
    kind = f.parent.name.split("-")[0]
    if kind == "values":
        for el in tree.getroot():
            name = el.get("name")
            if name is None:
                continue
            tag = {"item": el.get("type", "item"), "string-array": "array",
                   "integer-array": "array"}.get(el.tag, el.tag)
            defined.add((tag, name))
    else:
        defined.add((kind, f.stem))
check(parsed_ok, f"{len(xml_texts)} resource files are well-formed XML")
manifest_file = app_main / "AndroidManifest.xml"
manifest_text = manifest_file.read_text()
try:
    manifest_xml = ET.fromstring(manifest_text)
    check(True, "AndroidManifest.xml is well-formed XML")
except ET.ParseError as e:
    manifest_xml = ET.fromstring("<manifest/>")
    check(False, f"AndroidManifest.xml is well-formed XML ({e})")
refs = set()
for text in [manifest_text] + xml_texts:
    for kind, name in re.findall(r'[">]\s*@(?!android:)\+?(\w+)/([\w.]+)\s*[<"]', text):
        if kind != "id":
            refs.add((kind, name))
kotlin_app = [p for p in (app_main / "kotlin").rglob("*.kt")]
for p in kotlin_app:
    for kind, name in re.findall(r"\bR\.(\w+)\.(\w+)", p.read_text()):
        refs.add((kind, name))
missing = sorted(f"@{k}/{n}" for k, n in refs if (k, n) not in defined)
check(not missing, f"{len(refs)} resource references resolve" + (f"; missing: {missing}" if missing else ""))
# Every text in the default language has its Arabic translation (lint's MissingTranslation).
def names(path):
    return {el.get("name") for el in ET.parse(path).getroot() if el.tag in ("string", "plurals")} \
        if path.exists() else set()
en, ar = names(res / "values/strings.xml"), names(res / "values-ar/strings.xml")
check(en == ar, "values and values-ar have the same strings"
      + (f" (only in one: {sorted(en ^ ar)})" if en != ar else ""))
# The components the manifest names exist in the app's sources.
classes = {m for p in kotlin_app for m in re.findall(r"^(?:class|object|abstract class|open class)\s+(\w+)",
                                                       p.read_text(), re.M)}
components = [el.get(ANDROID + "name") for el in manifest_xml.iter()
              if el.tag in ("application", "activity", "service", "receiver", "provider")]
ours = [c for c in components if c and c.startswith(".")]
check(all(c[1:] in classes for c in ours), f"manifest components {ours} are classes of the app")

print(f"manifests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
