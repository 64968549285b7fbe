#include "app/run/pg_checkpoints.h"

#include "observe/json.h"

namespace esta::app::run {

namespace {

constexpr protocol::Nanos kCheckoutWait = 10'000 * protocol::kNanosPerMilli;

// One statement; `binary` marks the parameters sent as bytes (bytea), and `binary_result`
// asks for the columns as bytes.
Result<drivers::PgResultHandle> run(PGconn* connection, const std::string& sql,
                                    const std::vector<std::string>& params,
                                    const std::vector<int>& binary = {},
                                    bool binary_result = false) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const auto& param : params) {
        values.push_back(param.data());
        lengths.push_back(static_cast<int>(param.size()));
    }
    std::vector<int> formats(params.size(), 0);
    for (int index : binary)
        formats[static_cast<std::size_t>(index)] = 1;
    drivers::PgResultHandle result(
        PQexecParams(connection, sql.c_str(), static_cast<int>(params.size()), nullptr,
                     values.data(), lengths.data(), formats.data(), binary_result ? 1 : 0));
    auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        if (PQstatus(connection) != CONNECTION_OK)
            return Err(Status::Unavailable, "run.pg_connection_lost");
        return Err(Status::DriverError, "run.pg_statement_failed");
    }
    return result;
}

// Runs `work` on a pooled connection: given back when it succeeds, discarded otherwise.
template <class T, class Work>
Result<T> with_connection(drivers::PgPool& pool, const protocol::Clock& clock, Work work) {
    auto connection = ESTA_TRY(pool.checkout(clock.now_ns() + kCheckoutWait));
    Result<T> done = work(connection->handle.get());
    if (done)
        pool.give_back(std::move(connection));
    else
        pool.discard(std::move(connection));
    return done;
}

std::string bytes_of(ByteSpan bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

PgCheckpointExporter::PgCheckpointExporter(std::unique_ptr<drivers::PgPool> pool, std::string table,
                                           const protocol::Clock& clock)
    : m_pool(std::move(pool)), m_table(std::move(table)), m_clock(clock) {}

PgCheckpointExporter::~PgCheckpointExporter() {
    m_pool->stop();
}

Result<std::unique_ptr<PgCheckpointExporter>> PgCheckpointExporter::open(
    const drivers::PgConfig& config, std::string table, const protocol::Clock& clock) {
    auto pool = std::make_unique<drivers::PgPool>(config, clock);
    ESTA_TRY(pool->start());
    std::unique_ptr<PgCheckpointExporter> exporter(
        new PgCheckpointExporter(std::move(pool), std::move(table), clock));
    const std::string create = "CREATE TABLE IF NOT EXISTS " + exporter->m_table +
                               " (signing_key text NOT NULL, idx bigint NOT NULL, "
                               "node text NOT NULL, first_seq bigint NOT NULL, "
                               "last_seq bigint NOT NULL, reason text NOT NULL, "
                               "body bytea NOT NULL, signature bytea NOT NULL, "
                               "exported_at timestamptz NOT NULL DEFAULT now(), "
                               "PRIMARY KEY (signing_key, idx))";
    ESTA_TRY(with_connection<void>(*exporter->m_pool, clock, [&](PGconn* connection) {
        // Two nodes starting at once race on the catalog; the loser finds the table.
        if (run(connection, create, {})) return Result<void>{};
        auto again = run(connection, create, {});
        return again ? Result<void>{} : Result<void>(again.error());
    }));
    return exporter;
}

Result<void> PgCheckpointExporter::export_checkpoint(const observe::SignedCheckpoint& checkpoint) {
    const auto& c = checkpoint.checkpoint;
    const std::vector<std::string> params = {
        observe::to_hex(ByteSpan(c.key.data(), c.key.size())),
        std::to_string(c.index),
        c.node,
        std::to_string(c.first_seq),
        std::to_string(c.last_seq),
        c.reason,
        bytes_of(ByteSpan(checkpoint.body.data(), checkpoint.body.size())),
        bytes_of(ByteSpan(checkpoint.signature.data(), checkpoint.signature.size()))};
    const std::string sql = "INSERT INTO " + m_table +
                            " (signing_key, idx, node, first_seq, last_seq, reason, body, "
                            "signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                            "ON CONFLICT (signing_key, idx) DO NOTHING";
    return with_connection<void>(*m_pool, m_clock, [&](PGconn* connection) -> Result<void> {
        ESTA_TRY(run(connection, sql, params, {6, 7}));
        return {};
    });
}

Result<std::vector<observe::SignedCheckpoint>> read_pg_checkpoints(
    const drivers::PgConfig& config, const std::string& table, const observe::PublicKeyBytes& key,
    const protocol::Clock& clock) {
    drivers::PgPool pool(config, clock);
    ESTA_TRY(pool.start());
    const std::string sql =
        "SELECT body, signature FROM " + table + " WHERE signing_key = $1 ORDER BY idx";
    auto read = with_connection<std::vector<observe::SignedCheckpoint>>(
        pool, clock, [&](PGconn* connection) -> Result<std::vector<observe::SignedCheckpoint>> {
            auto rows = ESTA_TRY(run(
                connection, sql, {observe::to_hex(ByteSpan(key.data(), key.size()))}, {}, true));
            std::vector<observe::SignedCheckpoint> checkpoints;
            for (int row = 0; row < PQntuples(rows.get()); ++row) {
                if (PQgetlength(rows.get(), row, 1) !=
                    static_cast<int>(observe::Signature{}.size()))
                    return Err(Status::Malformed, "run.pg_checkpoint_signature");
                observe::Frame frame;
                frame.kind = observe::FrameKind::Checkpoint;
                frame.body = ByteSpan(reinterpret_cast<const u8*>(PQgetvalue(rows.get(), row, 0)),
                                      static_cast<std::size_t>(PQgetlength(rows.get(), row, 0)));
                frame.trailer =
                    ByteSpan(reinterpret_cast<const u8*>(PQgetvalue(rows.get(), row, 1)),
                             static_cast<std::size_t>(PQgetlength(rows.get(), row, 1)));
                checkpoints.push_back(ESTA_TRY(observe::signed_checkpoint_from_frame(frame)));
            }
            return checkpoints;
        });
    pool.stop();
    return read;
}

}  // namespace esta::app::run
