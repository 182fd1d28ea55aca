// How a handler's result becomes an httplib response: JSON and raw bodies, connection closing,
// and the SSE writer loop. Internal to the server stage (it includes httplib.h).
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>

#include "server/http_message.h"
#include "server/sse_stream.h"

namespace qinfer::server {

// Writes a complete body. With `close_connection` the connection is closed after the response:
// needed when part of the request body was left unread, which httplib would otherwise parse as
// the next request on the keep-alive connection.
void write_body(httplib::Response& response, int status, const std::string& content_type,
                std::string body, const ExtraHeaders& headers, bool close_connection);

void write_json(httplib::Response& response, const JsonResponse& json, bool close_connection);

// Streams `stream` as text/event-stream. `keep_alive_interval` of silence sends an SSE comment.
// `in_flight` (any object; may be null) is kept alive until the response is finished or
// abandoned, which is how a stream counts as in flight. The stream is cancelled when the client
// goes away, the response is abandoned, or the server stops before the producer finished.
void write_sse(httplib::Response& response, std::shared_ptr<SseStream> stream,
               std::chrono::milliseconds keep_alive_interval, std::shared_ptr<void> in_flight);

}  // namespace qinfer::server
