import Foundation
import HTTPTypes
import Hummingbird
import NormKit

/// An answer other than success, with a message meant for the person or program that asked.
struct APIError: Error, Sendable {
  /// The status.
  var status: HTTPResponse.Status
  /// What went wrong and what to do, in one or two sentences.
  var message: String
  /// Extra headers (`Retry-After`, `Allow`).
  var headers: HTTPFields
  /// Answer with an HTML page (for the upload form) instead of JSON; `nil`: as the `Accept` header prefers.
  var html: Bool?

  init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:], html: Bool? = nil) {
    self.status = status
    self.message = message
    self.headers = headers
    self.html = html
  }

  /// The response: JSON `{"status", "error", "message", "requestId"}`, or a small accessible HTML page.
  func response(requestID: String, accept: String?) -> Response {
    var headers = self.headers
    headers[.cacheControl] = "no-store"
    if html ?? Pages.prefersHTML(accept: accept) {
      headers[.contentType] = "text/html; charset=utf-8"
      let page = Pages.errorPage(
        status: Int(status.code), title: status.reasonPhrase, message: message, requestID: requestID)
      return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }
    headers[.contentType] = "application/json; charset=utf-8"
    let body = JSONOutput.string(
      ErrorBody(status: Int(status.code), error: status.reasonPhrase, message: message, requestId: requestID))
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
  }

  struct ErrorBody: Encodable {
    var status: Int
    var error: String
    var message: String
    var requestId: String
  }
}
