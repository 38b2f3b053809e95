// Adds: the short CreateChatCompletionAsync overloads (request, optional per-call options,
// cancellation token last) over the generated one, whose parameters mirror every header; each call
// is one GenAI span and measurement (see Telemetry/).

using System;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Client;

/// <summary>OpenPipe's chat completions API (generated from openapi/openpipe.yaml; see the Custom partials).</summary>
public partial interface IOpenPipeClient
{
    /// <summary>Creates a chat completion.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The completion.</returns>
    /// <exception cref="OpenPipeApiException">The API answered an error, or no complete response arrived.</exception>
    Task<ChatCompletion> CreateChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a chat completion with OpenPipe's per-request options.</summary>
    /// <param name="request">The request.</param>
    /// <param name="options">OpenPipe's per-request options (logging, cache, tags, criteria).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The completion.</returns>
    /// <exception cref="OpenPipeApiException">The API answered an error, or no complete response arrived.</exception>
    Task<ChatCompletion> CreateChatCompletionAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default);
}

public partial class OpenPipeClient
{
    /// <inheritdoc />
    public Task<ChatCompletion> CreateChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        CreateChatCompletionAsync(request, null, cancellationToken);

    /// <inheritdoc />
    public Task<ChatCompletion> CreateChatCompletionAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Stream == true)
        {
            throw new ArgumentException($"The request has stream: true; call {nameof(CreateChatCompletionStreamingAsync)} for a stream.", nameof(request));
        }

        return CreateInstrumentedAsync(request, options, cancellationToken);
    }

    private async Task<ChatCompletion> CreateInstrumentedAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken)
    {
        using var operation = StartOperation(request, options, streaming: false);
        try
        {
            var completion = await CreateChatCompletionAsync(options?.LogRequest, options?.Cache, options?.TagsHeader, options?.CriteriaHeader, request, cancellationToken).ConfigureAwait(false);
            operation.Complete(completion);
            return completion;
        }
        catch (Exception e)
        {
            operation.Fail(e);
            throw;
        }
    }
}
