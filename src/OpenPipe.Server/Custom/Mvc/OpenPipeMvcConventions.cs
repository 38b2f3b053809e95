// Adds: what makes an OpenPipe MVC controller (anything derived from OpenPipeControllerBase) behave
// like the minimal-API route without touching the app's other controllers: an application model
// provider that gives only those controllers the kit's filters and body binder, so the body is read
// with the kit's JSON settings, errors take the API's shape, and results are written as the wire
// format, whatever the app's MVC JSON options, ApiBehaviorOptions or IClientErrorFactory are.
// Also the built-in controller that serves the registered IChatCompletionHandler.

using System;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;

namespace OpenPipe.Server;

/// <summary>Applies the kit's filters and body binder to OpenPipe controllers only.</summary>
internal sealed class OpenPipeApplicationModelProvider : IApplicationModelProvider
{
    // After MVC's default provider (-1000) and the [ApiController] conventions (-900) have run.
    public int Order => -800;

    public void OnProvidersExecuting(ApplicationModelProviderContext context)
    {
        foreach (var controller in context.Result.Controllers.Where(c => typeof(OpenPipeControllerBase).IsAssignableFrom(c.ControllerType)))
        {
            controller.Filters.Add(OpenPipeResponseFilter.Instance);
            foreach (var action in controller.Actions)
            {
                var body = action.Parameters.FirstOrDefault(p => p.ParameterType == typeof(ChatCompletionRequest));
                if (body is null)
                {
                    continue;
                }

                action.Filters.Add(OpenPipeRequestFilter.Instance);
                body.BindingInfo ??= new BindingInfo();
                body.BindingInfo.BinderType = typeof(OpenPipeRequestBinder);
            }
        }
    }

    public void OnProvidersExecuted(ApplicationModelProviderContext context)
    {
    }
}

/// <summary>Reads the op-* headers and the body before model binding, answering bad ones in the API's shape.</summary>
internal sealed class OpenPipeRequestFilter : IAsyncResourceFilter
{
    public static readonly OpenPipeRequestFilter Instance = new();

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        OpenPipeJsonResult? error;
        try
        {
            (_, error) = await ChatCompletionPipeline.PrepareAsync(context.HttpContext).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            context.Result = new OpenPipeExceptionResult(e);
            return;
        }

        if (error is not null)
        {
            context.Result = error;
            return;
        }

        await next().ConfigureAwait(false);
    }
}

/// <summary>Hands the body the request filter read to the action, already validated.</summary>
internal sealed class OpenPipeRequestBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var feature = bindingContext.HttpContext.Features.Get<OpenPipeRequestFeature>();
        if (feature is null)
        {
            bindingContext.ModelState.TryAddModelError(bindingContext.ModelName, "The request body was not read.");
            bindingContext.Result = ModelBindingResult.Failed();
            return Task.CompletedTask;
        }

        bindingContext.Result = ModelBindingResult.Success(feature.Request);
        bindingContext.ValidationState[feature.Request] = new ValidationStateEntry { SuppressValidation = true };
        return Task.CompletedTask;
    }
}

/// <summary>Invalid model state, exceptions and results of OpenPipe controllers in the API's shape and JSON.</summary>
internal sealed class OpenPipeResponseFilter : IAsyncActionFilter, IAsyncExceptionFilter, IAsyncAlwaysRunResultFilter, IOrderedFilter
{
    public static readonly OpenPipeResponseFilter Instance = new();

    // Before [ApiController]'s ModelStateInvalidFilter (-2000), should a derived controller carry it.
    public int Order => -3000;

    public Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        if (!context.ModelState.IsValid)
        {
            context.Result = OpenPipeErrors.FromModelState(context.ModelState);
            return Task.CompletedTask;
        }

        return next();
    }

    public Task OnExceptionAsync(ExceptionContext context)
    {
        context.Result = new OpenPipeExceptionResult(context.Exception);
        context.ExceptionHandled = true;
        return Task.CompletedTask;
    }

    public Task OnResultExecutionAsync(ResultExecutingContext context, ResultExecutionDelegate next)
    {
        switch (context.Result)
        {
            case ObjectResult { Value: { } value } result:
                context.Result = new OpenPipeJsonResult(value, result.StatusCode ?? StatusCodes.Status200OK);
                break;
            case IClientErrorActionResult { StatusCode: >= 400 } clientError:
                int status = clientError.StatusCode!.Value;
                context.Result = new OpenPipeJsonResult(OpenPipeErrors.Create(status, status == 404 ? "Not found." : $"The request failed with status {status}."), status);
                break;
        }

        return next();
    }
}

/// <summary>Answers an exception through <see cref="OpenPipeErrors.WriteExceptionAsync"/>.</summary>
internal sealed class OpenPipeExceptionResult(Exception exception) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => OpenPipeErrors.WriteExceptionAsync(context.HttpContext, exception);
}

/// <summary>Adds the kit's controller to the app's controllers, only when asked (it is not public, so never discovered).</summary>
internal sealed class HandlerControllerFeatureProvider : IApplicationFeatureProvider<ControllerFeature>
{
    public void PopulateFeature(System.Collections.Generic.IEnumerable<ApplicationPart> parts, ControllerFeature feature)
    {
        var type = typeof(HandlerChatCompletionsController).GetTypeInfo();
        if (!feature.Controllers.Contains(type))
        {
            feature.Controllers.Add(type);
        }
    }
}

/// <summary>The MVC mapping of the registered <see cref="IChatCompletionHandler"/>.</summary>
internal sealed class HandlerChatCompletionsController(IChatCompletionHandler handler) : ChatCompletionsControllerBase
{
    public override async Task<ActionResult<ChatCompletion>> CreateChatCompletion(
        bool? opLogRequest, CacheMode? opCache, string? opTags, string? opCriteria, ChatCompletionRequest body, System.Threading.CancellationToken cancellationToken = default) =>
        await ChatCompletionPipeline.RespondAsync(handler, body, ChatContext, HttpContext).ConfigureAwait(false);
}
