import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue`, which Hummingbird does not do itself.
///
/// Without it, curl waits a second before sending an upload larger than 1 KiB. A request whose
/// declared `Content-Length` is over the body limit gets no `100 Continue`: the 413 comes at once
/// and the client need not send the body at all.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundOut = HTTPResponsePart

  let maxBody: Int

  init(maxBody: Int) { self.maxBody = maxBody }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head(let head) = unwrapInboundIn(data),
      head.headerFields[.expect]?.lowercased() == "100-continue",
      (head.headerFields[.contentLength].flatMap { Int($0) } ?? 0) <= maxBody
    {
      context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }
    context.fireChannelRead(data)
  }
}
