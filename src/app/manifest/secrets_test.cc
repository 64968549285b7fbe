// Secrets (S-2), drivers (D-3..D-6), HTTP endpoints (S-3), production mode (K-23), module
// files and their SHA-256, and the resolved manifest printing back to itself.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "app/manifest/render.h"
#include "app/manifest/test_manifest.h"
#include "observe/crypto.h"

namespace esta::app::manifest {
namespace {

// Lines 1-4 are kMinimalManifest.
std::string with(const std::string& extra) {
    return std::string(kMinimalManifest) + extra;
}

TEST(ManifestSecrets, S2_RejectsInlinePassword) {
    auto outcome = parse_test_manifest(with(
        "[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"host=db\"\npassword = \"hunter2\"\n"));
    expect_one_error(outcome, at(8, 12),
                     "drivers.sql.password: inline secrets are refused (S-2); name where to read "
                     "it: password = { env = \"VARIABLE\" } or password = { file = "
                     "\"/path/to/secret\" } (mode 600)");
    // The value itself never appears in a message.
    EXPECT_EQ(outcome.errors[0].to_string().find("hunter2"), std::string::npos);
}

TEST(ManifestSecrets, S2_RejectsPasswordInsideConninfo) {
    auto outcome = parse_test_manifest(
        with("[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"host=db password=hunter2\"\n"));
    expect_one_error(
        outcome, at(7, 12),
        "drivers.sql.conninfo: holds a password; inline secrets are refused (S-2): "
        "remove it and write password = { env = \"VARIABLE\" } or { file = \"PATH\" }");
}

TEST(ManifestSecrets, S2_RejectsSecretInKafkaSettings) {
    auto outcome =
        parse_test_manifest(with("[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"k:9092\"\n"
                                 "[drivers.topics.settings]\n\"sasl.password\" = \"x\"\n"));
    expect_one_error(outcome, at(9, 19),
                     "drivers.topics.settings.\"sasl.password\": is a secret; inline secrets are "
                     "refused (S-2): use sasl_password = { env = \"VARIABLE\" } or { file = "
                     "\"PATH\" }");
}

// `estalogic run` consumes `input` in `group` and stores decisions in `decisions_table`.
TEST(ManifestDrivers, D3_KafkaInputGroupAndDecisionsTable) {
    auto outcome = parse_test_manifest(
        with("[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"k:9092\"\n"
             "input = \"esta-events\"\ngroup = \"esta-accrual\"\n"
             "[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"dbname=esta\"\n"
             "decisions_table = \"esta_decisions\"\n"));
    ASSERT_TRUE(outcome.manifest) << (outcome.errors.empty() ? "" : outcome.errors[0].to_string());
    EXPECT_EQ(outcome.manifest->drivers.topics.input, "esta-events");
    EXPECT_EQ(outcome.manifest->drivers.topics.group, "esta-accrual");
    EXPECT_EQ(outcome.manifest->drivers.sql.decisions_table, "esta_decisions");

    auto bad = parse_test_manifest(
        with("[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"dbname=esta\"\n"
             "decisions_table = \"esta-decisions; DROP\"\n"));
    expect_one_error(bad, at(8, 19),
                     "drivers.sql.decisions_table: \"esta-decisions; DROP\" is not a name; "
                     "allowed: 1 to 63 of a-z, 0-9, '_', not starting with a digit");
}

// Found by fuzzing: toml++ prints a key with a tab bare, so `manifest show` made a file
// that did not parse. Property names are librdkafka's spelling only.
TEST(ManifestDrivers, KafkaSettingNameIsAPropertyName) {
    auto outcome =
        parse_test_manifest(with("[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"k:9092\"\n"
                                 "[drivers.topics.settings]\n\"sasl\\tmechanism\" = \"PLAIN\"\n"));
    expect_one_error(outcome, at(9, 21),
                     "drivers.topics.settings.\"sasl?mechanism\": is not a librdkafka property "
                     "name; allowed: 1 to 128 of a-z, A-Z, 0-9, '.', '_', '-'");
}

TEST(ManifestSecrets, S2_RejectsAGroupReadableSecretFileWithTheFix) {
    write_test_file("m.wasm", "\0asm", 0644);
    write_test_file("redis.secret", "pw\n", 0640);
    auto outcome = parse_test_manifest(
        with("[drivers.kv]\nbackend = \"redis\"\npassword = { file = \"redis.secret\" }\n"), true);
    auto path = (manifest_test_directory() / "redis.secret").string();
    expect_one_error(outcome, at(7, 21),
                     "drivers.kv.password.file: \"" + path +
                         "\" has mode 640, readable by its group or others (S-2); fix: chmod "
                         "600 " +
                         path);
}

TEST(ManifestSecrets, S2_AcceptsAnOwnerOnlySecretFileAndAnEnvName) {
    write_test_file("m.wasm", "\0asm", 0644);
    write_test_file("redis.secret", "pw\n", 0600);
    auto outcome = parse_test_manifest(
        with("[drivers.kv]\nbackend = \"redis\"\npassword = { file = \"redis.secret\" }\n"
             "[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"dbname=esta\"\n"
             "password = { env = \"ESTA_TEST_UNSET_VARIABLE_123\" }\n"),
        true);
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& redis = outcome.manifest->drivers.kv.redis;
    EXPECT_EQ(redis.password.source, drivers::SecretRef::Source::File);
    EXPECT_EQ(redis.password.name, (manifest_test_directory() / "redis.secret").string());
    const auto& pg = outcome.manifest->drivers.sql.postgres;
    EXPECT_EQ(pg.password.source, drivers::SecretRef::Source::Environment);
    EXPECT_EQ(pg.password.name, "ESTA_TEST_UNSET_VARIABLE_123");
    // An unset variable is worth a warning where the check runs, not an error.
    ASSERT_EQ(outcome.warnings.size(), 1u);
    EXPECT_EQ(outcome.warnings[0].message,
              "drivers.sql.password.env: the variable ESTA_TEST_UNSET_VARIABLE_123 is not set "
              "here; it must be set where the app runs");
}

TEST(ManifestSecrets, S2_MissingSecretFileAndBadEnvName) {
    auto outcome = parse_test_manifest(
        with("[drivers.kv]\nbackend = \"redis\"\npassword = { file = \"nope.secret\" }\n"), true);
    ASSERT_GE(outcome.errors.size(), 1u);
    auto path = (manifest_test_directory() / "nope.secret").string();
    EXPECT_EQ(outcome.errors.back().message,
              "drivers.kv.password.file: \"" + path + "\" does not exist; create it with mode 600");
    auto env = parse_test_manifest(
        with("[drivers.kv]\nbackend = \"redis\"\npassword = { env = \"1 BAD\" }\n"));
    expect_one_error(env, at(7, 20),
                     "drivers.kv.password.env: \"1 BAD\" is not an environment variable name; "
                     "allowed: letters, digits and '_', not starting with a digit");
}

TEST(ManifestSecrets, S2_SecretNeedsExactlyOneSource) {
    auto outcome = parse_test_manifest(
        with("[drivers.kv]\nbackend = \"redis\"\npassword = { env = \"A\", file = \"b\" }\n"));
    expect_one_error(outcome, at(7, 12),
                     "drivers.kv.password: names both env and file; allowed: one of them");
}

TEST(ManifestDrivers, D6_EmbeddedDriverRefusesServiceSettings) {
    auto outcome = parse_test_manifest(with("[drivers.kv]\nhost = \"redis.internal\"\n"));
    expect_one_error(outcome, at(6, 8),
                     "drivers.kv.host: is a redis setting but the backend is embedded; set "
                     "backend = \"redis\" or remove it");
}

TEST(ManifestDrivers, UnknownBackendAndDriverSlot) {
    auto backend = parse_test_manifest(with("[drivers.kv]\nbackend = \"memcached\"\n"));
    expect_one_error(backend, at(6, 11),
                     "drivers.kv.backend: \"memcached\" is not a backend for this driver; "
                     "allowed: embedded, redis");
    auto slot = parse_test_manifest(with("[drivers.redis]\nbackend = \"redis\"\n"));
    ASSERT_EQ(slot.errors.size(), 1u) << to_string(slot.errors);
    EXPECT_EQ(slot.errors[0].where, at(5, 10));
    EXPECT_EQ(slot.errors[0].message,
              "drivers.redis: unknown key; allowed: data_dir, kv, sql, topics");
}

TEST(ManifestDrivers, D4_PoolBoundsAreChecked) {
    auto outcome = parse_test_manifest(
        with("[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"dbname=x\"\npool_min = 5\n"
             "pool_max = 2\n"));
    expect_one_error(outcome, at(8, 12), "drivers.sql.pool_min: is above pool_max (2)");
}

TEST(ManifestEndpoints, S3_TlsNeedsBothFiles) {
    auto outcome = parse_test_manifest(
        with("[ingress]\ntls_certificate = \"cert.pem\"\n[ingress.routes.p]\n"));
    expect_one_error(outcome, at(6, 19),
                     "ingress.tls_certificate: TLS needs both tls_certificate and "
                     "tls_private_key (PEM files)");
}

TEST(ManifestEndpoints, IngressRouteNamesAProcess) {
    auto outcome = parse_test_manifest(with("[ingress]\n[ingress.routes.accrual]\n"));
    expect_one_error(outcome, at(6, 1),
                     "ingress.routes.accrual: \"accrual\" is not a declared process; allowed: p "
                     "(or declare [processes.accrual])");
    auto ok = parse_test_manifest(
        with("[ingress]\nlisten = \"0.0.0.0:0\"\n[ingress.routes.score]\nprocess = \"p\"\n"
             "token = { env = \"ESTA_TOKEN\" }\n"));
    ASSERT_TRUE(ok.manifest) << to_string(ok.errors);
    const auto& ingress = ok.manifest->ingress;
    EXPECT_TRUE(ingress.enabled);
    EXPECT_EQ(ingress.http.host, "0.0.0.0");
    EXPECT_EQ(ingress.http.port, 0);
    ASSERT_EQ(ingress.routes.size(), 1u);
    EXPECT_EQ(ingress.routes[0].process, "p");
    EXPECT_EQ(ingress.routes[0].message_type, 0x0010u);
    EXPECT_EQ(ingress.routes[0].token.name, "ESTA_TOKEN");
}

TEST(ManifestEndpoints, S3_PlainHttpBeyondThisHostIsWarnedAbout) {
    auto outcome =
        parse_test_manifest(with("[ingress]\nlisten = \"0.0.0.0:8080\"\n"
                                 "[ingress.routes.p]\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    ASSERT_EQ(outcome.warnings.size(), 2u) << to_string(outcome.warnings);
    EXPECT_EQ(outcome.warnings[0].where, at(7, 1));
    EXPECT_EQ(outcome.warnings[0].message,
              "ingress.routes.p: anyone who reaches 0.0.0.0 can invoke this route; add token = "
              "{ env = \"VARIABLE\" } (S-3)");
    EXPECT_EQ(outcome.warnings[1].message,
              "ingress.listen: serves plain HTTP beyond this host; add tls_certificate and "
              "tls_private_key (S-3)");
    auto local = parse_test_manifest(with("[ingress]\n[ingress.routes.p]\n"));
    EXPECT_TRUE(local.warnings.empty()) << to_string(local.warnings);
}

TEST(ManifestEndpoints, K5_IngressMessageTypeIsTheApplications) {
    auto outcome =
        parse_test_manifest(with("[ingress]\n[ingress.routes.p]\nmessage_type = 0xFFFF\n"));
    expect_one_error(outcome, at(7, 16),
                     "ingress.routes.p.message_type: 65535 is out of range; allowed: 16 to 65279");
}

TEST(ManifestEndpoints, ListenAddressIsChecked) {
    auto outcome = parse_test_manifest(with("[observability.http]\nlisten = \"localhost\"\n"));
    expect_one_error(outcome, at(6, 10),
                     "observability.http.listen: \"localhost\" is not HOST:PORT; allowed: e.g. "
                     "\"127.0.0.1:8080\", \"[::1]:8080\", port 0 to 65535 (0 picks a free one)");
}

TEST(ManifestProduction, K23_ProductionRequiresPinnedSignedModulesAndTls) {
    auto outcome =
        parse_test_manifest("[app]\nmode = \"production\"\n" + std::string(kMinimalManifest) +
                            "[observability.http]\nenabled = false\n");
    ASSERT_EQ(outcome.errors.size(), 2u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].where, at(3, 1));
    EXPECT_EQ(outcome.errors[0].message,
              "modules.m.sha256: missing; production mode pins every module by its SHA-256");
    EXPECT_EQ(outcome.errors[1].message,
              "modules.m.signature_key: missing; production mode requires signed modules "
              "(K-23): name the Ed25519 public key that signed it");
}

TEST(ManifestFiles, ModuleHashIsVerified) {
    write_test_file("m.wasm", "module bytes", 0644);
    auto digest = observe::sha256(ByteSpan(reinterpret_cast<const u8*>("module bytes"), 12));
    std::string hex;
    for (u8 byte : digest) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", byte);
        hex += pair;
    }
    auto good = parse_test_manifest(
        "[modules.m]\npath = \"m.wasm\"\nsha256 = \"" + hex + "\"\n[processes.p]\nmodule = \"m\"\n",
        true);
    ASSERT_TRUE(good.manifest) << to_string(good.errors);
    EXPECT_TRUE(good.manifest->modules[0].sha256_verified);

    std::string wrong(64, '0');
    auto bad = parse_test_manifest("[modules.m]\npath = \"m.wasm\"\nsha256 = \"" + wrong +
                                       "\"\n[processes.p]\nmodule = \"m\"\n",
                                   true);
    expect_one_error(bad, at(1, 1),
                     "modules.m.sha256: does not match the file: expected " + wrong +
                         ", the file hashes to " + hex + "; rebuild the module or update the hash");
}

TEST(ManifestFiles, MissingModuleFileAndBadDigest) {
    auto missing = parse_test_manifest(
        "[modules.m]\npath = \"absent.wasm\"\n[processes.p]\nmodule = \"m\"\n", true);
    auto path = (manifest_test_directory() / "absent.wasm").string();
    expect_one_error(missing, at(1, 1),
                     "modules.m.path: \"" + path +
                         "\" is not a readable file; build the module or fix the path "
                         "(relative paths start at the manifest's directory)");
    auto digest =
        parse_test_manifest(std::string("[modules.m]\npath = \"m.wasm\"\nsha256 = \"abc\"\n") +
                            "[processes.p]\nmodule = \"m\"\n");
    expect_one_error(digest, at(3, 10),
                     "modules.m.sha256: \"abc\" is not a SHA-256; allowed: 64 hex digits (run "
                     "`sha256sum` on the module)");
}

TEST(ManifestFiles, K23_SignatureKeyMustBeAnEd25519PublicKey) {
    write_test_file("m.wasm", "module", 0644);
    write_test_file("not-a-key.pub", "hello", 0644);
    auto key = observe::Ed25519PrivateKey::generate();
    ASSERT_TRUE(key);
    auto key_path = (manifest_test_directory() / "release.pub").string();
    std::filesystem::remove(key_path);
    ASSERT_TRUE(key->public_key().save_pem(key_path));
    auto good = parse_test_manifest(std::string("[modules.m]\npath = \"m.wasm\"\nsignature_key = "
                                                "\"release.pub\"\n[processes.p]\nmodule = \"m\"\n"),
                                    true);
    ASSERT_TRUE(good.manifest) << to_string(good.errors);
    EXPECT_EQ(good.manifest->modules[0].signature_key, key_path);
    auto bad = parse_test_manifest(
        "[modules.m]\npath = \"m.wasm\"\nsignature_key = \"not-a-key.pub\"\n[processes.p]\n"
        "module = \"m\"\n",
        true);
    auto bad_path = (manifest_test_directory() / "not-a-key.pub").string();
    expect_one_error(bad, at(3, 17),
                     "modules.m.signature_key: \"" + bad_path +
                         "\" is not an Ed25519 public key; allowed: a PEM public key as "
                         "`estalogic keygen` writes it (KEY.pub)");
}

TEST(ManifestFiles, ModuleThatIsADirectoryIsRefused) {
    std::filesystem::create_directories(manifest_test_directory() / "dir.wasm");
    auto outcome = parse_test_manifest(
        "[modules.m]\npath = \"dir.wasm\"\n[processes.p]\nmodule = \"m\"\n", true);
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_NE(outcome.errors[0].message.find("is not a readable file"), std::string::npos);
}

TEST(ManifestFiles, ModuleDirOverridesTheBase) {
    ParseOptions options;
    options.check_files = false;
    options.module_dir = "/opt/build";
    auto outcome = parse_manifest_text(kMinimalManifest, manifest_test_path(), options);
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    EXPECT_EQ(outcome.manifest->modules[0].path, "/opt/build/m.wasm");
}

// The OTLP collector's credentials are secrets too: named, never written (O-4, S-2).
TEST(ManifestSecrets, S2_O4_OtlpHeadersAreSecretsWithHeaderNames) {
    auto outcome = parse_test_manifest(
        with("[observability.tracing]\notlp_endpoint = \"http://collector:4318\"\n"
             "[observability.tracing.otlp_headers]\n"
             "Authorization = { env = \"OTLP_AUTH\" }\n\"x-api-key\" = { env = \"OTLP_KEY\" }\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& headers = outcome.manifest->observability.otlp_headers;
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers[0].first, "Authorization");
    EXPECT_EQ(headers[0].second.source, drivers::SecretRef::Source::Environment);
    EXPECT_EQ(headers[0].second.name, "OTLP_AUTH");
    EXPECT_EQ(headers[1].first, "x-api-key");
    // Rendered and parsed again: the same headers, still by reference.
    auto again = parse_test_manifest(render_toml(*outcome.manifest));
    ASSERT_TRUE(again.manifest) << to_string(again.errors);
    EXPECT_EQ(again.manifest->observability.otlp_headers.size(), 2u);

    auto inline_token = parse_test_manifest(
        with("[observability.tracing.otlp_headers]\nAuthorization = \"Bearer hunter2\"\n"));
    ASSERT_EQ(inline_token.errors.size(), 1u);
    EXPECT_NE(inline_token.errors[0].message.find("inline secrets are refused (S-2)"),
              std::string::npos)
        << inline_token.errors[0].message;
    EXPECT_EQ(inline_token.errors[0].to_string().find("hunter2"), std::string::npos);
    auto bad_name = parse_test_manifest(
        with("[observability.tracing.otlp_headers]\n\"x key\" = { env = \"K\" }\n"));
    ASSERT_EQ(bad_name.errors.size(), 1u);
    EXPECT_NE(bad_name.errors[0].message.find("is not an HTTP header name"), std::string::npos)
        << bad_name.errors[0].message;
}

TEST(ManifestRender, ShowPrintsAManifestThatParsesToTheSameModel) {
    std::string text = with(
        "priority = \"high\"\ncritical = true\n[processes.p.grants.state]\nkv = \"esta/\"\n"
        "[processes.p.grants.feed]\ntopic = \"events\"\nconsume = true\nhours = [22, 6]\n"
        "days = [\"mon\"]\nvalid_after = 2026-01-02T03:04:05Z\n"
        "[topics.events]\npartitions = 3\n"
        "[statements.s]\nsql = \"SELECT $1\"\nparams = [\"int\"]\ncolumns = [\"int\"]\n"
        "[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"k:9092\"\n"
        "sasl_password = { env = \"KAFKA_PW\" }\n"
        "[ingress]\n[ingress.routes.p]\n");
    auto first = parse_test_manifest(text);
    ASSERT_TRUE(first.manifest) << to_string(first.errors);
    std::string shown = render_toml(*first.manifest);
    auto second = parse_test_manifest(shown);
    ASSERT_TRUE(second.manifest) << to_string(second.errors) << shown;
    EXPECT_EQ(render_toml(*second.manifest), shown);
    const auto& grants = second.manifest->processes[0].grants;
    ASSERT_EQ(grants.size(), 2u);
    EXPECT_EQ(grants[0].rights.restrictions,
              first.manifest->processes[0].grants[0].rights.restrictions);
    EXPECT_NE(render_json(*second.manifest).find("\"bootstrap\""), std::string::npos);
}

}  // namespace
}  // namespace esta::app::manifest
