// (Support code lives in a *_itest.cc file so the glob of the integration executable finds
// it; it holds no tests.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

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

RedisServer::RedisServer(bool durable) : m_port(free_port()) {
    if (!durable) return;
    m_dir = (std::filesystem::temp_directory_path() /
             ("esta_redis_" + std::to_string(::getpid()) + "_" + std::to_string(m_port)))
                .string();
    std::filesystem::create_directories(m_dir);
}

RedisServer::~RedisServer() {
    kill();
    if (!m_dir.empty()) std::filesystem::remove_all(m_dir);
}

bool RedisServer::start() {
    if (running()) return true;
    if (::access("/usr/bin/redis-server", X_OK) != 0) return false;
    std::string port = std::to_string(m_port);
    m_pid = ::fork();
    if (m_pid == 0) {
        if (m_dir.empty()) {
            ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
                    "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--loglevel", "warning", static_cast<char*>(nullptr));
        } else {
            ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
                    "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                    "--dir", m_dir.c_str(), "--daemonize", "no", "--loglevel", "warning",
                    static_cast<char*>(nullptr));
        }
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

namespace {

// The value of `keyword` in a conninfo string ("" when absent).
std::string conninfo_value(const std::string& conninfo, const std::string& keyword) {
    std::string key = keyword + "=";
    std::size_t at = 0;
    while ((at = conninfo.find(key, at)) != std::string::npos) {
        if (at == 0 || conninfo[at - 1] == ' ') {
            std::size_t start = at + key.size();
            return conninfo.substr(start, conninfo.find(' ', start) - start);
        }
        at += key.size();
    }
    return "";
}

}  // namespace

std::string PostgresDatabase::socket_path() const {
    std::string host = conninfo_value(m_server, "host");
    if (host.empty() || host.front() != '/') return "";
    std::string port = conninfo_value(m_server, "port");
    return host + "/.s.PGSQL." + (port.empty() ? "5432" : port);
}

std::string PostgresDatabase::conninfo_via(const std::string& directory) const {
    std::string port = conninfo_value(m_server, "port");
    return "host=" + directory + (port.empty() ? "" : " port=" + port) + " dbname=" + m_name;
}

std::string PostgresDatabase::query(const std::string& sql) const {
    Conn connection = connect_server(conninfo());
    if (!connection) return "";
    return first_cell(connection.get(), sql);
}

namespace {

int unix_socket(const std::string& path, bool listen) {
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) return -1;
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    bool ok = listen ? ::bind(fd, raw, sizeof address) == 0 && ::listen(fd, 16) == 0
                     : ::connect(fd, raw, sizeof address) == 0;
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Writes all of `data`; false when the peer is gone.
bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::send(fd, data, size, MSG_NOSIGNAL);
        if (written <= 0) return false;
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return true;
}

}  // namespace

SocketRelay::SocketRelay(std::string listen_path, std::string upstream_path)
    : m_listen_path(std::move(listen_path)), m_upstream_path(std::move(upstream_path)) {}

SocketRelay::~SocketRelay() {
    stop();
}

bool SocketRelay::start() {
    if (m_thread.joinable()) return true;
    ::unlink(m_listen_path.c_str());
    m_listener = unix_socket(m_listen_path, true);
    if (m_listener < 0 || ::pipe2(m_wake, O_CLOEXEC) != 0) {
        stop();
        return false;
    }
    m_thread = std::thread([this] { serve(); });
    return true;
}

void SocketRelay::stop() {
    if (m_thread.joinable()) {
        (void)!::write(m_wake[1], "x", 1);
        m_thread.join();
    }
    for (int* fd : {&m_listener, &m_wake[0], &m_wake[1]}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
    ::unlink(m_listen_path.c_str());
}

void SocketRelay::cut_after(std::string marker, bool forward) {
    std::lock_guard lock(m_mutex);
    m_marker = std::move(marker);
    m_forward = forward;
    m_cut_done = false;
}

void SocketRelay::serve() {
    struct Pair {
        int client;
        int server;
        bool cut_on_answer = false;
    };
    std::vector<Pair> pairs;
    auto close_pair = [](Pair& pair) {
        ::close(pair.client);
        ::close(pair.server);
        pair.client = pair.server = -1;
    };
    char buffer[16384];
    for (;;) {
        std::vector<pollfd> fds{{m_wake[0], POLLIN, 0}, {m_listener, POLLIN, 0}};
        for (const Pair& pair : pairs) {
            fds.push_back({pair.client, POLLIN, 0});
            fds.push_back({pair.server, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;
        if (fds[0].revents != 0) break;
        if (fds[1].revents & POLLIN) {
            int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            int server = client >= 0 ? unix_socket(m_upstream_path, false) : -1;
            if (server >= 0) {
                pairs.push_back({client, server});
            } else if (client >= 0) {
                ::close(client);
            }
        }
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            Pair& pair = pairs[i];
            for (bool from_client : {true, false}) {
                const pollfd& ready = fds[2 + 2 * i + (from_client ? 0 : 1)];
                if (pair.client < 0 || (ready.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
                    continue;
                ssize_t got =
                    ::recv(from_client ? pair.client : pair.server, buffer, sizeof buffer, 0);
                if (got <= 0 || (!from_client && pair.cut_on_answer)) {
                    if (!from_client && pair.cut_on_answer) m_cut_done = true;
                    close_pair(pair);
                    continue;
                }
                if (from_client) {
                    std::lock_guard lock(m_mutex);
                    if (!m_marker.empty() &&
                        std::string_view(buffer, static_cast<std::size_t>(got)).find(m_marker) !=
                            std::string_view::npos) {
                        m_marker.clear();
                        if (!m_forward) {
                            m_cut_done = true;
                            close_pair(pair);
                            continue;
                        }
                        pair.cut_on_answer = true;
                    }
                }
                if (!write_all(from_client ? pair.server : pair.client, buffer,
                               static_cast<std::size_t>(got))) {
                    close_pair(pair);
                }
            }
        }
        std::erase_if(pairs, [](const Pair& pair) { return pair.client < 0; });
    }
    for (Pair& pair : pairs)
        close_pair(pair);
}

}  // namespace esta::drivers::testing
