// Adds: the base class NSwag's generated ChatCompletionsControllerBase derives from
// (nswag.json: controllerBaseClass). The generated class is abstract but not partial, so what
// every derived controller shares is declared here.

using Microsoft.AspNetCore.Mvc;

namespace OpenPipe.Server;

/// <summary>The base of the generated <see cref="ChatCompletionsControllerBase"/>.</summary>
[ApiController]
public abstract class OpenPipeControllerBase : ControllerBase
{
}
