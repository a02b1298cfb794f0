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

    /// <summary>The request read, then nothing at all (not even headers) until the client gives up.</summary>
    StallBeforeHeaders,

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
/// <remarks>
/// Every connection is served on a thread of its own with blocking calls, never on the thread pool: a test run that
/// keeps the pool busy must not make the server look stalled when it is not.
/// </remarks>
public sealed class FaultServer : IDisposable
{
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Thread _loop;
    private volatile bool _stopped;

    /// <summary>Starts listening on a free loopback port.</summary>
    public FaultServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");
        _loop = new Thread(Accept) { IsBackground = true, Name = "FaultServer accept" };
        _loop.Start();
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
        _stopped = true;
        _listener.Dispose();
        foreach (var socket in _open.Keys)
        {
            socket.Dispose();
        }

        _loop.Join(TimeSpan.FromSeconds(5));
    }

    private sealed record Route(ServerFault Fault, byte[] Body, long Cut, string? RedirectTo);

    private void Accept()
    {
        while (!_stopped)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _open[socket] = 0;
            new Thread(() => Serve(socket)) { IsBackground = true, Name = "FaultServer connection" }.Start();
        }
    }

    private void Serve(Socket socket)
    {
        try
        {
            // A stall ends when the client leaves, or after a minute at most.
            socket.ReceiveTimeout = 60_000;
            string? head = ReadHead(socket);
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

            Respond(socket, key, route);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client gave up first (as it should on a stall): nothing more to send.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private static void Respond(Socket socket, string path, Route route)
    {
        byte[] body = route.Body;
        int cut = (int)Math.Clamp(route.Cut, 0, body.Length);
        int prefix = Math.Max(0, Math.Min(cut, body.Length - 1));
        switch (route.Fault)
        {
            case ServerFault.Good:
                Send(socket, Head(200, "OK", body.Length) + "\r\n", body);
                break;
            case ServerFault.TruncatedBody:
                Send(socket, Head(200, "OK", body.Length) + "\r\n", body.AsSpan(0, prefix));
                break;
            case ServerFault.TruncatedChunked:
                SendChunkedPrefix(socket, body, cut);
                break;
            case ServerFault.WrongChecksum:
                byte[] changed = (byte[])body.Clone();
                if (changed.Length > 0)
                {
                    changed[Math.Min(cut, changed.Length - 1)] ^= 0x5a;
                }

                Send(socket, Head(200, "OK", changed.Length) + "\r\n", changed);
                break;
            case ServerFault.HtmlPage:
                byte[] page = Encoding.UTF8.GetBytes("<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><h1>Please try again later</h1></body></html>\n");
                Send(socket, Head(200, "OK", page.Length, "text/html; charset=utf-8") + "\r\n", page);
                break;
            case ServerFault.StallBeforeHeaders:
                WaitForClientToLeave(socket);
                break;
            case ServerFault.StallAfterHeaders:
                Send(socket, Head(200, "OK", body.Length) + "\r\n", []);
                WaitForClientToLeave(socket);
                break;
            case ServerFault.StallMidBody:
                Send(socket, Head(200, "OK", body.Length) + "\r\n", body.AsSpan(0, prefix));
                WaitForClientToLeave(socket);
                break;
            case ServerFault.RedirectLoop:
                Send(socket, Head(302, "Found", 0) + $"Location: {path}\r\n\r\n", []);
                break;
            case ServerFault.RedirectToGood:
                Send(socket, Head(302, "Found", 0) + $"Location: {route.RedirectTo}\r\n\r\n", []);
                break;
            case ServerFault.NotFound:
                Send(socket, Head(404, "Not Found", 0) + "\r\n", []);
                break;
            case ServerFault.ServerError:
                Send(socket, Head(500, "Internal Server Error", 0) + "\r\n", []);
                break;
            case ServerFault.Reset:
                byte[] response = [.. Encoding.ASCII.GetBytes(Head(200, "OK", body.Length) + "\r\n"), .. body];
                socket.Send(response.AsSpan(0, Math.Min(cut, response.Length - 1)));
                // Linger 0: close sends RST instead of FIN.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
                break;
        }
    }

    private static string Head(int status, string reason, long length, string contentType = "application/octet-stream") =>
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\nConnection: close\r\n";

    private static void Send(Socket socket, string head, ReadOnlySpan<byte> body)
    {
        socket.Send(Encoding.ASCII.GetBytes(head));
        while (body.Length > 0)
        {
            body = body[socket.Send(body)..];
        }
    }

    /// <summary>The body in chunks of up to 4 KiB, cut at about <paramref name="cut"/> (mid-chunk when it falls there), no final chunk.</summary>
    private static void SendChunkedPrefix(Socket socket, byte[] body, int cut)
    {
        var output = new MemoryStream();
        string head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        for (int offset = 0; offset < body.Length; offset += 4096)
        {
            int length = Math.Min(4096, body.Length - offset);
            output.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            output.Write(body, offset, length);
            output.Write("\r\n"u8);
        }

        // Cut the encoded body proportionally, always before the terminating "0\r\n\r\n" would come.
        byte[] encoded = output.ToArray();
        int end = (int)((long)cut * encoded.Length / Math.Max(1, body.Length));
        Send(socket, head, encoded.AsSpan(0, Math.Min(end, encoded.Length)));
    }

    /// <summary>Sends nothing more and waits (at most the receive timeout) for the client to close the connection.</summary>
    private static void WaitForClientToLeave(Socket socket)
    {
        var buffer = new byte[256];
        while (socket.Receive(buffer) > 0)
        {
        }
    }

    /// <summary>The request line and headers, or null when the client closed first.</summary>
    private static string? ReadHead(Socket socket)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 64 * 1024)
        {
            if (socket.Receive(one) == 0)
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
