// The HTTP ingress (docs/OPERATIONS.md "Ingress"): an application backend asks a process for
// a decision synchronously with POST /v1/invoke/{route}. The body goes to the route's
// process as one message of the route's type, through the route the manifest grants; the
// answer is the line the process sends to its sink (its decision), within a deadline.
// Statuses: 200 the decision; 400 empty body or a bad Estalogic-Deadline-Ms; 413 body over
// 8 KiB; 401 a route with a token and a wrong one; 403 a process the manifest gives the
// ingress no route to (and an `ingress.denied` audit record); 404 no such process; 422 the
// handler failed the message; 503 the node is stopping or the mailbox is full; 504 no
// answer by the deadline (the node's --deadline-ms, or less with Estalogic-Deadline-Ms).
// Every reply to a route carries `traceparent` and Estalogic-Trace-Id (the caller's trace
// when it sent a valid traceparent, else a new one); a 200 also Estalogic-Audit-Record, the
// id of the `ingress.decision` record written for it (403: of the `ingress.denied` one).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/manifest/model.h"
#include "app/run/node.h"
#include "observe/http_server.h"

namespace esta::app::run {

inline constexpr std::size_t kMaxIngressBody = 8192;

struct IngressOptions {
    std::optional<int> port;  // Instead of the manifest's (0: any free one).
    u64 deadline_ms = 5000;
    // When set, each request is decided through it instead of Node::call (a primary
    // answers once the standby acknowledged: node_role.h). Unavailable answers 503.
    using Decide = std::function<Result<std::string>(const std::string& process, u32 type,
                                                     std::string_view body, u64 timeout_ms)>;
    Decide decide;
};

class Ingress {
  public:
    // `node` outlives the ingress. Errors: the server's (a port in use, half a TLS setup),
    // or an unreadable route token (S-2).
    static Result<std::unique_ptr<Ingress>> start(const manifest::AppManifest& manifest, Node& node,
                                                  const IngressOptions& options);
    ~Ingress();
    void stop();
    std::string url() const;

  private:
    Ingress(std::unique_ptr<observe::ObserveHttpServer> server, std::string url);
    std::unique_ptr<observe::ObserveHttpServer> m_server;
    std::string m_url;
};

}  // namespace esta::app::run
