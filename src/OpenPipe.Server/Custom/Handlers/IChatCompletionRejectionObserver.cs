// Adds: IChatCompletionRejectionObserver, the extension point for what the kit answers itself: a
// request whose op-* headers or body it rejects (400, 408, 413, 415) never reaches the handler, so an
// app that logs requests (the gateway's request log) learns of those here.

using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Server;

/// <summary>
/// Told of every authenticated chat completion request the kit answers with an error before any
/// handler runs: an invalid op-* header, a body that is malformed, invalid, too large (413), too slow
/// (408) or of another content type (415). Register implementations as services; each is called
/// once per such request, before the error is written. An observer's exception is logged and does
/// not change the answer.
/// </summary>
public interface IChatCompletionRejectionObserver
{
    /// <summary>Called for one rejected request.</summary>
    /// <param name="rejection">The request, the error it gets and what of its body arrived.</param>
    /// <param name="cancellationToken">Fires when the client leaves.</param>
    /// <returns>A task that completes when the observer is done.</returns>
    ValueTask OnRejectedAsync(ChatCompletionRejection rejection, CancellationToken cancellationToken = default);
}
