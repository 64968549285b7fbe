// `estalogic audit show|proof` (REQUIREMENTS S-3): reading the audit log needs a token of its
// own, every read — allowed or not — is appended to the log before anything is answered,
// and a log a running node holds is refused rather than appended to by a second writer.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli_test_support.h"
#include "observe/audit_log.h"
#include "observe/audit_query.h"
#include "observe/clock.h"
#include "observe/crypto.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;

int run(std::vector<std::string> args) {
    return run_estalogic(std::move(args));
}

class AuditCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("esta-audit-cli-" + std::to_string(::getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        auto key = observe::Ed25519PrivateKey::generate();
        ASSERT_TRUE(key.has_value());
        ASSERT_TRUE(key->save_pem(key_path()));
        observe::AuditLogOptions options;
        options.directory = log_dir();
        auto log = observe::AuditLog::open(options, std::move(*key), m_clock, nullptr);
        ASSERT_TRUE(log.has_value()) << log.error().to_string();
        observe::Value::Map data;
        data["employee"] = observe::Value::text("E-17");
        ASSERT_TRUE((*log)->append("app.esta.decision", data));
        ASSERT_TRUE((*log)->close());
        write(token_path(), "reader-secret-1\n", 0600);
        write(auth_path(), "# audit readers\nreader-secret-1\n", 0600);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    static void write(const std::string& path, const std::string& text, mode_t mode) {
        std::ofstream(path) << text;
        ::chmod(path.c_str(), mode);
    }
    std::string key_path() const { return (m_dir / "node.key").string(); }
    std::string log_dir() const { return (m_dir / "audit").string(); }
    std::string token_path() const { return (m_dir / "reader.token").string(); }
    std::string auth_path() const { return (m_dir / "audit.tokens").string(); }

    int show() {
        return run({"audit", "show", log_dir(), "--token-file", token_path(), "--auth-file",
                    auth_path(), "--key", key_path()});
    }
    // The events of the log, in order.
    std::vector<std::string> events() const {
        std::vector<std::string> found;
        auto records = observe::read_audit_records(log_dir(), 0, UINT64_MAX, 1000);
        EXPECT_TRUE(records.has_value());
        if (!records) return found;
        for (const auto& record : *records) {
            const observe::Value* event = record.body.find("event");
            if (event && event->as_text()) found.push_back(*event->as_text());
        }
        return found;
    }

    fs::path m_dir;
    observe::ManualClock m_clock{1'700'000'000'000'000'000};
};

TEST_F(AuditCommand, S3_AnAllowedReadIsRecordedBeforeItIsAnswered) {
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(show(), 0);
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("app.esta.decision"), std::string::npos) << out;
    EXPECT_NE(out.find("audit.read"), std::string::npos) << "the read is part of what it reads";
    EXPECT_EQ(events(), (std::vector<std::string>{"app.esta.decision", "audit.read"}));
    std::string log;
    for (const auto& entry : fs::directory_iterator(log_dir()))
        log += std::string(std::istreambuf_iterator<char>(std::ifstream(entry.path()).rdbuf()), {});
    EXPECT_EQ(log.find("reader-secret-1"), std::string::npos) << "the token is never logged";
}

TEST_F(AuditCommand, S3_AWrongTokenIsRefusedAndTheAttemptRecorded) {
    write(token_path(), "someone-else\n", 0600);
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(show(), 77);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(events(), (std::vector<std::string>{"app.esta.decision", "audit.read_denied"}));
}

TEST_F(AuditCommand, S3_TokensReadableByOthersAreRefusedBeforeAnythingIsRead) {
    ::chmod(auth_path().c_str(), 0644);
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(show(), 77);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(events(), (std::vector<std::string>{"app.esta.decision"}));
}

TEST_F(AuditCommand, S3_ALogARunningNodeHoldsIsNotAppendedToBySecondWriter) {
    auto key = observe::Ed25519PrivateKey::load_pem(key_path());
    ASSERT_TRUE(key.has_value());
    observe::AuditLogOptions options;
    options.directory = log_dir();
    auto node = observe::AuditLog::open(options, std::move(*key), m_clock, nullptr);
    ASSERT_TRUE(node.has_value()) << node.error().to_string();
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(show(), 75);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    ASSERT_TRUE((*node)->close());
    // Nothing but the node's own appends: the chain never forked.
    EXPECT_EQ(events(), (std::vector<std::string>{"app.esta.decision"}));
    EXPECT_EQ(show(), 0);
}

}  // namespace
}  // namespace esta::app
