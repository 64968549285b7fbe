// O-2: `estalogic run` exports every signed audit checkpoint off the node, to a PostgreSQL
// table when [drivers.sql] is PostgreSQL, and `estalogic verify-log --checkpoints-postgres`
// checks the node's log against that copy: a matching copy verifies, a copy that says
// something else than the log is reported.
#include <gtest/gtest.h>

#include <string>

#include "run_harness.h"
#include "services.h"

namespace esta::test {
namespace {

using drivers::testing::PostgresDatabase;

constexpr int kEvents = 1500;

class CheckpointExportE2e : public RunE2e {
  protected:
    void SetUp() override {
        RunE2e::SetUp();
        ESTA_NEED_SERVICE(m_postgres.available(), "PostgreSQL");
    }

    // The example on the embedded drivers, its checkpoints exported to PostgreSQL.
    fs::path manifest() {
        return manifest_variant(
            "[drivers]\ndata_dir = \"var/data\"  # embedded drivers' files, the node journal and "
            "the sinks\n",
            "[drivers]\ndata_dir = \"var/data\"\n\n[drivers.sql]\nbackend = \"postgres\"\n"
            "conninfo = \"" +
                m_postgres.conninfo() + "\"\n");
    }
    fs::path state() const { return m_dir / "state"; }
    Outcome verify() {
        return estalogic("verify-log " + (state() / "audit").string() +
                         " --checkpoints-postgres '" + m_postgres.conninfo() + "'");
    }

    PostgresDatabase m_postgres;
};

TEST_F(CheckpointExportE2e, O2_RunExportsCheckpointsToPostgresAndVerifyLogChecksTheCopy) {
    std::string toml = read_text(manifest());
    toml.replace(toml.find("audit_dir = \"var/audit\""), 23,
                 "audit_dir = \"var/audit\"\ncheckpoint_every = 500");
    fs::path path = write("app.toml", toml);
    Outcome run = estalogic("run " + path.string() + " --generate " + std::to_string(kEvents) +
                            " --state-dir " + state().string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;

    // Each decision is an audit record: several interval checkpoints and the shutdown one.
    const std::string rows = m_postgres.query("SELECT count(*) FROM audit_checkpoints");
    ASSERT_FALSE(rows.empty());
    EXPECT_GE(std::stoull(rows), 3u);
    EXPECT_EQ(m_postgres.query("SELECT reason FROM audit_checkpoints ORDER BY idx DESC LIMIT 1"),
              "shutdown");

    Outcome verified = verify();
    EXPECT_EQ(verified.exit, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find(rows + " exported checkpoints match"), std::string::npos)
        << verified.out;

    // A copy that differs from the log: one bit of the first checkpoint's stored signature.
    m_postgres.query(
        "UPDATE audit_checkpoints SET signature = set_byte(signature, 0, "
        "get_byte(signature, 0) # 1) WHERE idx = 1");
    Outcome differs = verify();
    EXPECT_EQ(differs.exit, 1) << differs.out << differs.err;
    EXPECT_NE(differs.out.find("BAD"), std::string::npos) << differs.out;

    // No export table at all: a clear error, not a pass.
    m_postgres.query("DROP TABLE audit_checkpoints");
    Outcome missing = verify();
    EXPECT_EQ(missing.exit, 65) << missing.out << missing.err;
    EXPECT_NE(missing.err.find("cannot read exported checkpoints"), std::string::npos)
        << missing.err;
}

}  // namespace
}  // namespace esta::test
