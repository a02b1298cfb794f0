using System.Net;
using System.Numerics.Tensors;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeepScratch.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace DeepScratch.Web;

/// <summary>
/// The draw-a-digit web app of <c>deepscratch serve</c>, on 127.0.0.1 only: the page (<c>GET /</c>), the list of
/// networks (<c>GET /api/models</c>) and the prediction (<c>POST /api/predict</c>, a JSON body of 784 pixels or an
/// encoded image prepared by <see cref="DigitImage.FromEncoded"/>). Every client mistake is a 4xx answer with a JSON
/// body <c>{"error": "one line"}</c>, never a 500.
/// </summary>
public sealed class DigitServer : IAsyncDisposable
{
    /// <summary>Largest JSON body accepted, in bytes (1 MiB; 784 numbers take about 16 KiB).</summary>
    public const int MaxJsonBytes = 1 << 20;

    /// <summary>Largest image body accepted, in bytes (8 MiB: ample for a drawing, far under <see cref="DigitImage.MaxFileBytes"/>).</summary>
    public const int MaxImageBytes = 8 << 20;

    /// <summary>Largest image accepted, width x height in pixels (4 megapixels; the page sends 280x280), checked from the
    /// header before decoding: a few-KB file can declare a 7000x7000 image that would take hundreds of MB to prepare.</summary>
    public const long MaxImagePixels = 4_000_000;

    /// <summary>Most connections served at once (Kestrel's limit; more wait for the TCP backlog).</summary>
    public const int MaxConnections = 64;

    /// <summary>The port <c>deepscratch serve</c> uses unless told otherwise.</summary>
    public const int DefaultPort = 5000;

    /// <summary>The image types <c>POST /api/predict</c> accepts besides <c>application/json</c> (from <see cref="DigitImage.Formats"/>).</summary>
    public static IReadOnlyList<string> ImageTypes { get; } = [.. DigitImage.Formats.Select(f => f.MimeType)];

    private const string JsonType = "application/json";

    /// <summary>
    /// How long an image request waits for a free decoder before a 503: longer than the longest queue the connection
    /// limit allows (<see cref="MaxConnections"/> images of <see cref="MaxImagePixels"/>, about 0.16 s each on one core
    /// of a loaded 2-core machine: about 10 s on one core), so a burst of clients waits its turn and only a machine
    /// several times slower answers 503. (2 s gave 16 clients sending 4-megapixel images 503s on 2 cores.)
    /// </summary>
    internal static readonly TimeSpan DecodeWait = TimeSpan.FromSeconds(30);

    /// <summary>The 503 answer when all <paramref name="decoders"/> (one per processor) stay busy for <see cref="DecodeWait"/>.</summary>
    internal static string DecodersBusy(int decoders) =>
        $"the server is preparing {decoders} image{(decoders == 1 ? "" : "s")} already; try again in a moment.";

    private readonly WebApplication _app;

    private DigitServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:5000/.</summary>
    public Uri Address { get; }

    /// <summary>Triggered when the host is asked to stop (Ctrl-C, SIGTERM, <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Starts serving <paramref name="models"/> on 127.0.0.1:<paramref name="port"/> (0: a free port, see <see cref="Address"/>).</summary>
    /// <remarks>Only the one 127.0.0.1 listener: endpoints from the environment or configuration (ASPNETCORE_URLS,
    /// ASPNETCORE_HTTP_PORTS, Kestrel__Endpoints__*, PREFERHOSTINGURLS) are ignored, and a request whose Host header is
    /// not 127.0.0.1:port or localhost:port (a DNS-rebinding page) gets a 400.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not in 0..65535 (<see cref="CheckPort"/>).</exception>
    /// <exception cref="PortInUseException">Another program listens on the port.</exception>
    public static async Task<DigitServer> StartAsync(ServedModels models, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (CheckPort(port) is { } wrong)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, $"the port {wrong}");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // No appsettings.json from the user's folder (it could add endpoints) and no file watcher on it.
            ContentRootPath = AppContext.BaseDirectory,
            // The host reads its URL settings here, at construction: the command line outranks ASPNETCORE_URLS,
            // ASPNETCORE_HTTP_PORTS and ASPNETCORE_PREFERHOSTINGURLS from the environment.
            Args = ["--hostBuilder:reloadConfigOnChange=false", "--urls=", "--http_ports=", "--https_ports=", "--preferHostingUrls=false"],
        });
        // No configuration at all: the environment's ASPNETCORE_URLS, Kestrel__Endpoints__* or PREFERHOSTINGURLS could
        // otherwise add listeners on other interfaces.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Configure(new ConfigurationBuilder().Build());
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = MaxConnections;
            // The outer limit; each content type has its own, smaller or equal, checked while reading.
            kestrel.Limits.MaxRequestBodySize = MaxImageBytes;
        });
        var app = builder.Build();
        app.Use(Guard);
        var page = typeof(DigitServer).Assembly;
        app.MapGet("/", StaticFile(page, "index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", StaticFile(page, "app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", StaticFile(page, "app.css", "text/css; charset=utf-8"));
        app.MapGet("/api/models", context => Write(context, StatusCodes.Status200OK, new ModelsAnswer(
            [.. models.Models.Select(m => m.Name)], models.Default.Name, [.. models.Models.Select(m => m.Model.Description)],
            [.. models.Models.Select(m => Catalog.FolderName(m.Dataset))]), WebJson.Relaxed.ModelsAnswer));
        var decoders = new SemaphoreSlim(Environment.ProcessorCount);
        app.MapPost("/api/predict", context => Predict(context, models, decoders));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new PortInUseException($"port {port} on 127.0.0.1 is in use by another program: give another --port, or --port 0 for a free one.", e);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Select(a => new Uri(a)).ToList();
        if (bound.Count != 1 || !IPAddress.TryParse(bound[0].Host, out var ip) || !ip.Equals(IPAddress.Loopback))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the server must listen on 127.0.0.1 only; it listens on {string.Join(", ", bound)}.");
        }

        return new DigitServer(app, new Uri($"http://127.0.0.1:{bound[0].Port}/"));
    }

    /// <summary>Every address the server listens on (one: <see cref="Address"/>'s, from Kestrel's own list).</summary>
    public IReadOnlyList<string> ListenAddresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses];

    /// <summary>Null when <paramref name="port"/> is a port the server can listen on (0..65535, 0: any free one), else the reason ("must be from 0 to 65535 ...").</summary>
    public static string? CheckPort(int port) =>
        port is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort ? null : $"must be from {IPEndPoint.MinPort} to {IPEndPoint.MaxPort} (0: any free port); got {port}.";

    /// <summary>Completes when the host stops (Ctrl-C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>Stops accepting requests and lets the ones in flight finish.</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>
    /// Around every request: a failure inside becomes a JSON error (a bad request's own status; 500 only for a fault of
    /// the server), and a bare 404 or 405 from routing gets a JSON body too.
    /// </summary>
    private static async Task Guard(HttpContext context, RequestDelegate next)
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        // DNS rebinding: a page from another site that resolves its name to 127.0.0.1 sends its own Host.
        var host = context.Request.Host;
        if (!host.HasValue || host.Port != context.Connection.LocalPort
            || !(host.Host.Equals("127.0.0.1", StringComparison.Ordinal) || host.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
        {
            int port = context.Connection.LocalPort;
            await Fail(context, StatusCodes.Status400BadRequest,
                $"the Host header must be 127.0.0.1:{port} or localhost:{port}; got '{Clip(host.Value ?? "")}'.").ConfigureAwait(false);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await Fail(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"the body is larger than the {MaxImageBytes} bytes accepted."
                : $"bad request: {e.Message}").ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await Fail(context, StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name}): {e.Message}").ConfigureAwait(false);
            return;
        }

        if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null)
        {
            string path = context.Request.Path.Value ?? "/";
            string message = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such page: {Clip(path)} (the API is GET /api/models and POST /api/predict).",
                StatusCodes.Status405MethodNotAllowed => $"{Clip(context.Request.Method)} is not allowed on {Clip(path)} (allowed: {context.Response.Headers.Allow}).",
                _ => $"the request failed with status {context.Response.StatusCode}.",
            };
            await Fail(context, context.Response.StatusCode, message).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /api/predict</c>: JSON pixels or an encoded image, to the ten probabilities.</summary>
    private static async Task Predict(HttpContext context, ServedModels models, SemaphoreSlim decoders)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType.Value is not { } mediaType
            || !(mediaType.Equals(JsonType, StringComparison.OrdinalIgnoreCase) || ImageTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase)))
        {
            string got = string.IsNullOrEmpty(request.ContentType) ? "none" : $"'{Clip(request.ContentType)}'";
            await Fail(context, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type must be {JsonType} (a body {{\"pixels\": [784 numbers]}}) or an image ({string.Join(", ", ImageTypes)}); got {got}.").ConfigureAwait(false);
            return;
        }

        bool json = mediaType.Equals(JsonType, StringComparison.OrdinalIgnoreCase);
        // JSON is UTF-8 (RFC 8259); a body in another encoding would be misread, not converted.
        string? charset = type.Charset.HasValue ? type.Charset.Value!.Trim('"') : null;
        if (json && charset is not null && !(charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
        {
            await Fail(context, StatusCodes.Status415UnsupportedMediaType,
                $"the JSON body must be UTF-8 (charset=utf-8 or none); got charset={Clip(charset)}.").ConfigureAwait(false);
            return;
        }

        if (json && request.Query.ContainsKey("model"))
        {
            // One place for the name: a JSON body carries it as "model".
            await Fail(context, StatusCodes.Status400BadRequest,
                "?model= is for image bodies; a JSON body names its network as \"model\".").ConfigureAwait(false);
            return;
        }

        int limit = json ? MaxJsonBytes : MaxImageBytes;
        var body = await ReadBody(context, limit).ConfigureAwait(false);
        if (body is null)
        {
            await Fail(context, StatusCodes.Status413PayloadTooLarge, $"the body is larger than the {limit} bytes accepted for {mediaType}.").ConfigureAwait(false);
            return;
        }

        if (body.Length == 0)
        {
            await Fail(context, StatusCodes.Status400BadRequest, json
                ? "the body is empty: send {\"pixels\": [784 numbers in [0, 1]], \"model\": \"name\"}."
                : "the body is empty: send the image file's bytes.").ConfigureAwait(false);
            return;
        }

        Parsed request2;
        if (json)
        {
            request2 = ParseJson(body);
        }
        else if (!await decoders.WaitAsync(DecodeWait, context.RequestAborted).ConfigureAwait(false))
        {
            // Every decoder is busy: a bounded number of images is prepared at once, so memory stays bounded.
            await Fail(context, StatusCodes.Status503ServiceUnavailable, DecodersBusy(Environment.ProcessorCount)).ConfigureAwait(false);
            return;
        }
        else
        {
            try
            {
                request2 = ParseImage(body, mediaType, request.Query);
            }
            finally
            {
                decoders.Release();
            }
        }

        if (request2.Error is { } error)
        {
            await Fail(context, request2.Status, error).ConfigureAwait(false);
            return;
        }

        var model = request2.Model is null ? models.Default : models.Find(request2.Model);
        if (model is null)
        {
            await Fail(context, StatusCodes.Status404NotFound,
                $"unknown model '{Clip(request2.Model!)}': the models are {string.Join(", ", models.Models.Select(m => m.Name))}.").ConfigureAwait(false);
            return;
        }

        if (json && request2.Pixels!.AsSpan().IndexOfAnyExcept(request2.Pixels![0]) < 0)
        {
            // A blank canvas has no digit to read: refused as an image without ink is, in the same words.
            await Fail(context, StatusCodes.Status422UnprocessableEntity, DigitImage.NoInkMessage("the pixels")).ConfigureAwait(false);
            return;
        }

        float[] p = model.Predict(request2.Pixels!);
        int predicted = TensorPrimitives.IndexOfMax<float>(p);
        await Write(context, StatusCodes.Status200OK, new PredictAnswer(model.Name, predicted, model.ClassName(predicted), p, json ? null : request2.Pixels),
            WebJson.Relaxed.PredictAnswer).ConfigureAwait(false);
    }

    /// <summary>The pixels and model name of a request, or the status and line that refuse it.</summary>
    private readonly record struct Parsed(float[]? Pixels, string? Model, int Status, string? Error)
    {
        public static Parsed Refuse(string error, int status = StatusCodes.Status400BadRequest) => new(null, null, status, error);
    }

    /// <summary>How deeply a JSON body may nest: the object, "pixels", its rows (28x28 form) and one spare level.</summary>
    private const int JsonDepth = 4;

    /// <summary>The expected body, for messages.</summary>
    private const string ExpectedBody = "{\"pixels\": [784 numbers], \"model\": \"name\"}";

    /// <summary>
    /// A JSON body: an object with "pixels" (784 finite numbers in [0, 1], flat row by row, or 28 rows of 28 numbers as
    /// numpy's tolist() gives them) and an optional "model" (a string or null).
    /// </summary>
    private static Parsed ParseJson(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = JsonDepth });
        }
        catch (JsonException e)
        {
            return Parsed.Refuse(JsonError(body, e));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Parsed.Refuse($"the body must be a JSON object {{\"pixels\": [784 numbers in [0, 1]], \"model\": \"name\"}}; got {Kind(root)}.");
            }

            foreach (string key in (string[])["pixels", "model"])
            {
                if (root.EnumerateObject().Count(p => p.NameEquals(key)) > 1)
                {
                    return Parsed.Refuse($"the body gives \"{key}\" more than once.");
                }
            }

            if (!root.TryGetProperty("pixels", out var pixels))
            {
                return Parsed.Refuse("the body has no \"pixels\": give the 784 numbers in [0, 1] of the 28x28 image, row by row.");
            }

            if (pixels.ValueKind != JsonValueKind.Array)
            {
                return Parsed.Refuse($"\"pixels\" must be an array of {ServedModel.Inputs} numbers in [0, 1]; got {Kind(pixels)}.");
            }

            var values = new float[ServedModel.Inputs];
            string? error = pixels.GetArrayLength() > 0 && pixels[0].ValueKind == JsonValueKind.Array
                ? ReadRows(pixels, values)
                : ReadFlat(pixels, values);
            if (error is not null)
            {
                return Parsed.Refuse(error);
            }

            string? model = null;
            if (root.TryGetProperty("model", out var name))
            {
                if (name.ValueKind == JsonValueKind.String)
                {
                    model = name.GetString();
                }
                else if (name.ValueKind != JsonValueKind.Null)
                {
                    return Parsed.Refuse($"\"model\" must be a string (a name from GET /api/models); got {Kind(name)}.");
                }
            }

            return new Parsed(values, model, StatusCodes.Status200OK, null);
        }
    }

    /// <summary>Flat "pixels": 784 numbers, row by row, into <paramref name="values"/>; the error line or null.</summary>
    private static string? ReadFlat(JsonElement pixels, float[] values)
    {
        int length = pixels.GetArrayLength();
        if (length != ServedModel.Inputs)
        {
            return $"\"pixels\" must hold {ServedModel.Inputs} numbers (28x28, row by row); got {length}.";
        }

        int i = 0;
        foreach (var element in pixels.EnumerateArray())
        {
            if (ReadPixel(element, $"pixels[{i}]", out values[i]) is { } error)
            {
                return error;
            }

            i++;
        }

        return null;
    }

    /// <summary>"pixels" as 28 rows of 28 numbers (numpy's tolist() of a 28x28 image) into <paramref name="values"/>; the error line or null.</summary>
    private static string? ReadRows(JsonElement pixels, float[] values)
    {
        const int side = DigitImage.Size;
        int rows = pixels.GetArrayLength();
        if (rows != side)
        {
            return $"\"pixels\" must be a flat array of {ServedModel.Inputs} numbers or {side} rows of {side} numbers; got {rows} rows.";
        }

        int r = 0;
        foreach (var row in pixels.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                return $"pixels[{r}] must be a row of {side} numbers like pixels[0]; got {Kind(row)}.";
            }

            if (row.GetArrayLength() != side)
            {
                return $"pixels[{r}] must hold {side} numbers (one row of the 28x28 image); got {row.GetArrayLength()}.";
            }

            int c = 0;
            foreach (var element in row.EnumerateArray())
            {
                if (ReadPixel(element, $"pixels[{r}][{c}]", out values[(r * side) + c]) is { } error)
                {
                    return error;
                }

                c++;
            }

            r++;
        }

        return null;
    }

    /// <summary>One pixel: a finite number in [0, 1]; the error line (naming it <paramref name="where"/>) or null.</summary>
    private static string? ReadPixel(JsonElement element, string where, out float value)
    {
        value = 0;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return $"{where} must be a number in [0, 1]; got {Kind(element)}.";
        }

        // TryGetDouble refuses a number beyond double's range (it would read as infinity).
        if (!element.TryGetDouble(out double v) || !double.IsFinite(v))
        {
            return $"{where} is not a finite number: {Clip(element.GetRawText())}.";
        }

        if (v is < 0 or > 1)
        {
            return $"{where} is {Clip(element.GetRawText())}, outside [0, 1].";
        }

        value = (float)v;
        return null;
    }

    /// <summary>
    /// The line for a body System.Text.Json cannot parse, without the parser's internals (LineNumber, BytePositionInLine,
    /// reader options): "the body is not valid JSON at byte N: reason", with the pixel's index for a NaN or Infinity
    /// (what Python's json.dumps writes for float('nan')), and a plain line for nesting deeper than a request needs.
    /// </summary>
    private static string JsonError(byte[] body, JsonException e)
    {
        // The parser counts lines by '\n' and bytes within the line; the offset from the start of the body is clearer.
        int offset = 0;
        for (long line = e.LineNumber ?? 0; line > 0 && offset < body.Length; offset++)
        {
            if (body[offset] == (byte)'\n')
            {
                line--;
            }
        }

        offset = (int)Math.Min(body.Length, offset + (e.BytePositionInLine ?? 0));
        var (tooDeep, pixel) = Trace(body);
        if (tooDeep)
        {
            return $"the body nests arrays or objects too deeply (expected {ExpectedBody}).";
        }

        // The parser stops at the literal's first letter: after the sign of -Infinity.
        var rest = body.AsSpan(offset);
        string? literal = rest.StartsWith("NaN"u8) ? "NaN"
            : rest.StartsWith("Infinity"u8) ? (offset > 0 && body[offset - 1] == (byte)'-' ? "-Infinity" : "Infinity")
            : null;
        if (literal is not null)
        {
            return pixel is not null
                ? $"{pixel} is not a finite number: {literal} (JSON has no {literal}; send numbers in [0, 1])."
                : $"the body is not valid JSON at byte {offset}: {literal} is not a JSON number (JSON has no NaN or Infinity).";
        }

        if (rest.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return $"the body is not valid JSON at byte {offset}: it ends before the JSON is complete (an array, object or string is not closed).";
        }

        return $"the body is not valid JSON at byte {offset}: {Clip(ErrorText.JsonReason(e), 120)}.";
    }

    /// <summary>
    /// Reads <paramref name="body"/> again up to the fault the parser found: whether it nests deeper than
    /// <see cref="JsonDepth"/>, and which pixel ("pixels[3]", "pixels[2][5]") the fault is in, if any.
    /// </summary>
    private static (bool TooDeep, string? Pixel) Trace(byte[] body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        // level: 0 outside "pixels", 1 in its array, 2 in one of its rows; counts: elements begun there so far.
        bool named = false;
        int level = 0, count = 0, rowCount = 0;
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                int depth = reader.CurrentDepth;
                if (token is JsonTokenType.StartArray or JsonTokenType.StartObject && depth >= JsonDepth)
                {
                    return (true, null);
                }

                if (depth == 1 && token == JsonTokenType.PropertyName)
                {
                    named = reader.ValueTextEquals("pixels"u8);
                }
                else if (depth == 1 && token == JsonTokenType.StartArray && named)
                {
                    (level, count) = (1, 0);
                }
                else if (level == 1 && depth == 1 && token == JsonTokenType.EndArray)
                {
                    level = 0;
                }
                else if (level == 1 && depth == 2)
                {
                    count++;
                    if (token == JsonTokenType.StartArray)
                    {
                        (level, rowCount) = (2, 0);
                    }
                }
                else if (level == 2 && depth == 2 && token == JsonTokenType.EndArray)
                {
                    level = 1;
                }
                else if (level == 2 && depth == 3 && token is not (JsonTokenType.EndArray or JsonTokenType.EndObject))
                {
                    rowCount++;
                }
            }
        }
        catch (JsonException)
        {
            // The same fault the parser found: the counts so far say where it is.
        }

        return level switch
        {
            1 => (false, $"pixels[{count}]"),
            2 => (false, $"pixels[{count - 1}][{rowCount}]"),
            _ => (false, null),
        };
    }

    /// <summary>An encoded image body, prepared as <c>predict --image</c> prepares a file; the model from <c>?model=</c>.</summary>
    private static Parsed ParseImage(byte[] body, string mediaType, IQueryCollection query)
    {
        var names = query["model"];
        if (names.Count > 1)
        {
            return Parsed.Refuse("give ?model= once.");
        }

        // Another format than the Content-Type says: one of ours by its magic bytes, or one the decoder reads (GIF, TGA,
        // PSD) by its header. Bytes no decoder understands go on to the decoder, which says why.
        var format = DigitImage.IdentifyFormat(body);
        bool wrongFormat = format is null ? DigitImage.TryReadSize(body, out _, out _) : !format.MimeType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);
        if (wrongFormat)
        {
            return Parsed.Refuse(
                $"the body is {(format is null ? $"not a {DigitImage.FormatNames} image" : $"a {format.Name} image")} but Content-Type says {Clip(mediaType)}.",
                StatusCodes.Status415UnsupportedMediaType);
        }

        if (DigitImage.TryReadSize(body, out int width, out int height) && (long)width * height > MaxImagePixels)
        {
            return Parsed.Refuse(
                $"the image is {width}x{height} pixels, more than the {DigitImage.Megapixels(MaxImagePixels)} megapixels accepted (the page sends 280x280); scale it down first.",
                StatusCodes.Status413PayloadTooLarge);
        }

        DigitInput input;
        try
        {
            input = DigitImage.FromEncoded(body, "the image", MaxImagePixels);
        }
        catch (EmptyDigitImageException e)
        {
            return Parsed.Refuse(e.Message, StatusCodes.Status422UnprocessableEntity);
        }
        catch (InvalidDataException e)
        {
            return Parsed.Refuse(e.Message);
        }

        return new Parsed(input.Pixels, names.Count == 1 ? names[0] : null, StatusCodes.Status200OK, null);
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes (told by Content-Length or found while reading).</summary>
    private static async Task<byte[]?> ReadBody(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }

        // This count is the limit: Kestrel's own (the larger image limit) would interrupt the read with a generic 413 first.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = null;
        }

        if (context.Request.ContentLength is long length)
        {
            // The length is known: read straight into the array the decoder gets, no copy.
            var exact = new byte[length];
            await context.Request.Body.ReadExactlyAsync(exact, context.RequestAborted).ConfigureAwait(false);
            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static RequestDelegate StaticFile(Assembly assembly, string name, string contentType)
    {
        byte[] content;
        using (var stream = assembly.GetManifestResourceStream($"wwwroot/{name}") ?? throw new InvalidOperationException($"the page's {name} is not embedded."))
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            content = copy.ToArray();
        }

        return async context =>
        {
            context.Response.ContentType = contentType;
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:";
            await context.Response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
        };
    }

    private static Task Fail(HttpContext context, int status, string message) =>
        Write(context, status, new ErrorAnswer(message.ReplaceLineEndings(" ")), WebJson.Relaxed.ErrorAnswer);

    private static Task Write<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, type, contentType: "application/json; charset=utf-8", context.RequestAborted);
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>A value echoed in a message, cut to 60 characters so an error stays one readable line.</summary>
    private static string Clip(string text, int most = 60) => text.Length <= most ? text : string.Concat(text.AsSpan(0, most - 3), "...");
}

/// <summary>The port <see cref="DigitServer.StartAsync"/> was asked for is taken by another program.</summary>
public sealed class PortInUseException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PortInUseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
