// (Support code lives in a *_itest.cc file so the glob of the integration executable finds
// it; it holds no tests.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "services.h"

namespace esta::drivers::testing {

namespace {

struct ConnFinish {
    void operator()(PGconn* connection) const { PQfinish(connection); }
};
using Conn = std::unique_ptr<PGconn, ConnFinish>;

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
        port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
}

bool port_open(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<u_int16_t>(port));
    bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return open;
}

Conn connect_server(const std::string& conninfo) {
    Conn connection(PQconnectdb(conninfo.c_str()));
    if (PQstatus(connection.get()) != CONNECTION_OK) return nullptr;
    return connection;
}

std::string first_cell(PGconn* connection, const std::string& sql) {
    PGresult* result = PQexec(connection, sql.c_str());
    std::string cell;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
        cell = PQgetvalue(result, 0, 0);
    }
    PQclear(result);
    return cell;
}

}  // namespace

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

RedisServer::RedisServer() : m_port(free_port()) {}

RedisServer::~RedisServer() {
    kill();
}

bool RedisServer::start() {
    if (running()) return true;
    if (::access("/usr/bin/redis-server", X_OK) != 0) return false;
    std::string port = std::to_string(m_port);
    m_pid = ::fork();
    if (m_pid == 0) {
        ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel",
                "warning", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
        if (port_open(m_port)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    return false;
}

void RedisServer::kill() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
}

PostgresDatabase::PostgresDatabase() {
    const char* configured = std::getenv("ESTA_TEST_PG");
    m_server = configured != nullptr ? configured : "host=/var/run/postgresql";
    Conn admin = connect_server(m_server + " dbname=postgres");
    if (!admin && configured == nullptr && ::geteuid() == 0) {
        // Peer authentication maps OS users to roles: give root a role once, through the
        // postgres OS user that owns the cluster.
        (void)std::system(
            "runuser -u postgres -- psql -qc 'CREATE ROLE root SUPERUSER LOGIN' >/dev/null 2>&1");
        admin = connect_server(m_server + " dbname=postgres");
    }
    if (!admin) return;
    static int counter = 0;
    std::string name =
        "esta_drivers_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    PGresult* result = PQexec(admin.get(), ("CREATE DATABASE " + name).c_str());
    bool created = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (created) m_name = name;
}

PostgresDatabase::~PostgresDatabase() {
    if (m_name.empty()) return;
    Conn admin = connect_server(m_server + " dbname=postgres");
    if (!admin) return;
    PQclear(PQexec(admin.get(), ("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)").c_str()));
}

std::string PostgresDatabase::conninfo() const {
    return m_server + " dbname=" + m_name;
}

std::string PostgresDatabase::query(const std::string& sql) const {
    Conn connection = connect_server(conninfo());
    if (!connection) return "";
    return first_cell(connection.get(), sql);
}

}  // namespace esta::drivers::testing
