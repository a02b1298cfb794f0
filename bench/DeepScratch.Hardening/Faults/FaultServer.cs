using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeepScratch.Hardening.Faults;

/// <summary>What a <see cref="FaultServer"/> route does with a request.</summary>
public enum ServerFault
{
    /// <summary>200 with the whole file and its Content-Length.</summary>
    Good,

    /// <summary>Content-Length of the whole file, then a prefix of it and the connection closed.</summary>
    TruncatedBody,

    /// <summary>Chunked encoding of a prefix of the file, closed before the last chunk (sometimes mid-chunk).</summary>
    TruncatedChunked,

    /// <summary>200 with the file with one byte changed: a wrong checksum.</summary>
    WrongChecksum,

    /// <summary>200 with an HTML error page (text/html), as captive portals and some CDNs send.</summary>
    HtmlPage,

    /// <summary>Headers (Content-Length of the whole file), then nothing until the client gives up.</summary>
    StallAfterHeaders,

    /// <summary>Headers and a prefix of the body, then nothing until the client gives up.</summary>
    StallMidBody,

    /// <summary>302 to itself, forever.</summary>
    RedirectLoop,

    /// <summary>302 to a route that serves the good file.</summary>
    RedirectToGood,

    /// <summary>404 Not Found.</summary>
    NotFound,

    /// <summary>500 Internal Server Error.</summary>
    ServerError,

    /// <summary>The connection reset (RST) after a random part of the response, possibly before any of it.</summary>
    Reset,
}

/// <summary>
/// A raw HTTP/1.1 server on 127.0.0.1 whose routes misbehave on purpose (<see cref="ServerFault"/>), at the byte
/// offsets the caller picks, for the download-fault harness and tests. Each response closes its connection. It also
/// answers a proxy's CONNECT (for a client pointed at it with HTTPS_PROXY) with the fault registered for "host:port".
/// </summary>
public sealed class FaultServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts listening on a free loopback port.</summary>
    public FaultServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>The server's address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>Requests received (their targets), in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>
    /// Serves <paramref name="fault"/> with <paramref name="body"/> at <paramref name="path"/> (or, for CONNECT, at
    /// "host:port"); <paramref name="cut"/> is the byte offset where truncations, stalls and resets happen, and
    /// <paramref name="redirectTo"/> the target of <see cref="ServerFault.RedirectToGood"/>.
    /// </summary>
    public Uri Add(string path, ServerFault fault, byte[] body, long cut = 0, string? redirectTo = null)
    {
        _routes[path] = new Route(fault, body, cut, redirectTo);
        return new Uri(BaseUri, path);
    }

    /// <summary>Stops the server and drops every open connection.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The accept loop ends by its listener being stopped.
        }

        _listener.Dispose();
        _stop.Dispose();
    }

    private sealed record Route(ServerFault Fault, byte[] Body, long Cut, string? RedirectTo);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            string? head = await ReadHeadAsync(stream).ConfigureAwait(false);
            if (head is null)
            {
                return;
            }

            string[] requestLine = head.Split("\r\n")[0].Split(' ');
            string target = requestLine.Length > 1 ? requestLine[1] : "";
            Requests.Enqueue(target);
            string key = requestLine[0] == "CONNECT" ? target : (Uri.TryCreate(target, UriKind.Absolute, out var absolute) ? absolute.AbsolutePath : target);
            if (!_routes.TryGetValue(key, out var route))
            {
                route = new Route(ServerFault.NotFound, [], 0, null);
            }

            await RespondAsync(socket, stream, key, route).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client gave up first (as it should on a stall): nothing more to send.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private async Task RespondAsync(Socket socket, NetworkStream stream, string path, Route route)
    {
        byte[] body = route.Body;
        int cut = (int)Math.Clamp(route.Cut, 0, body.Length);
        switch (route.Fault)
        {
            case ServerFault.Good:
                await WriteAsync(stream, Head(200, "OK", body.Length) + "\r\n", body).ConfigureAwait(false);
                break;
            case ServerFault.TruncatedBody:
                await WriteAsync(stream, Head(200, "OK", body.Length) + "\r\n", body.AsMemory(0, Math.Min(cut, body.Length - 1))).ConfigureAwait(false);
                break;
            case ServerFault.TruncatedChunked:
                await WriteChunkedPrefixAsync(stream, body, cut).ConfigureAwait(false);
                break;
            case ServerFault.WrongChecksum:
                byte[] changed = (byte[])body.Clone();
                if (changed.Length > 0)
                {
                    changed[Math.Min(cut, changed.Length - 1)] ^= 0x5a;
                }

                await WriteAsync(stream, Head(200, "OK", changed.Length) + "\r\n", changed).ConfigureAwait(false);
                break;
            case ServerFault.HtmlPage:
                byte[] page = Encoding.UTF8.GetBytes("<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><h1>Please try again later</h1></body></html>\n");
                await WriteAsync(stream, Head(200, "OK", page.Length, "text/html; charset=utf-8") + "\r\n", page).ConfigureAwait(false);
                break;
            case ServerFault.StallAfterHeaders:
                await WriteAsync(stream, Head(200, "OK", body.Length) + "\r\n", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                await WaitForClientToLeaveAsync(stream).ConfigureAwait(false);
                break;
            case ServerFault.StallMidBody:
                await WriteAsync(stream, Head(200, "OK", body.Length) + "\r\n", body.AsMemory(0, Math.Min(cut, body.Length - 1))).ConfigureAwait(false);
                await WaitForClientToLeaveAsync(stream).ConfigureAwait(false);
                break;
            case ServerFault.RedirectLoop:
                await WriteAsync(stream, Head(302, "Found", 0) + $"Location: {path}\r\n\r\n", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                break;
            case ServerFault.RedirectToGood:
                await WriteAsync(stream, Head(302, "Found", 0) + $"Location: {route.RedirectTo}\r\n\r\n", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                break;
            case ServerFault.NotFound:
                await WriteAsync(stream, Head(404, "Not Found", 0) + "\r\n", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                break;
            case ServerFault.ServerError:
                await WriteAsync(stream, Head(500, "Internal Server Error", 0) + "\r\n", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                break;
            case ServerFault.Reset:
                byte[] response = [.. Encoding.ASCII.GetBytes(Head(200, "OK", body.Length) + "\r\n"), .. body];
                await stream.WriteAsync(response.AsMemory(0, Math.Min(cut, response.Length - 1))).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
                // Linger 0: close sends RST instead of FIN.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
                break;
        }
    }

    private static string Head(int status, string reason, long length, string contentType = "application/octet-stream") =>
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\nConnection: close\r\n";

    private static async Task WriteAsync(NetworkStream stream, string head, ReadOnlyMemory<byte> body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
        await stream.WriteAsync(body).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The body in chunks of up to 4 KiB, cut at <paramref name="cut"/> (mid-chunk when it falls there), no final chunk.</summary>
    private static async Task WriteChunkedPrefixAsync(NetworkStream stream, byte[] body, int cut)
    {
        var output = new MemoryStream();
        output.Write(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
        for (int offset = 0; offset < body.Length; offset += 4096)
        {
            int length = Math.Min(4096, body.Length - offset);
            output.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            output.Write(body, offset, length);
            output.Write("\r\n"u8);
        }

        // Cut the encoded stream somewhere before the terminating "0\r\n\r\n" would come.
        byte[] encoded = output.ToArray();
        int headLength = encoded.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        int end = headLength + (int)((long)cut * (encoded.Length - headLength) / Math.Max(1, body.Length));
        await stream.WriteAsync(encoded.AsMemory(0, Math.Min(end, encoded.Length))).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Sends nothing more and waits (at most a minute) for the client to close the connection.</summary>
    private async Task WaitForClientToLeaveAsync(NetworkStream stream)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        limit.CancelAfter(TimeSpan.FromMinutes(1));
        var buffer = new byte[256];
        while (await stream.ReadAsync(buffer, limit.Token).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>The request line and headers, or null when the client closed first (a pooled connection probe).</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                return Encoding.ASCII.GetString([.. head]);
            }
        }

        return null;
    }
}
