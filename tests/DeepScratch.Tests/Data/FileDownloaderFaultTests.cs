using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DeepScratch.Data;
using DeepScratch.Hardening.Faults;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Data;

/// <summary>
/// Downloads from a loopback server that misbehaves (<see cref="FaultServer"/>): each fault gives its own reason in the
/// one-line message, the destination keeps what it had, no temporary file is left, and the next mirror is used.
/// The expected messages are written out by hand.
/// </summary>
public sealed class FileDownloaderFaultTests : IDisposable
{
    private const string Name = "t10k-labels-idx1-ubyte.gz";
    /// <summary>
    /// The idle timeout of the tests whose mirror stalls on purpose (they wait it out, so it is short). Only those tests
    /// use it: the loopback server shares our thread pool, and a stall of it on a loaded machine must not fail a good one.
    /// </summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    /// <summary>The idle timeout of every other test: no mirror there stalls, so it is never waited out.</summary>
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(60);

    /// <summary>A file bigger than one 64 KiB read, so cuts land after whole reads too.</summary>
    private static readonly byte[] Good = IdxFiles.Noise(150_000, seed: 11);

    private readonly TempFolder _temp = new();
    private readonly HttpClient _http = LocalHttpServer.CreateClient();
    private readonly FaultServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _http.Dispose();
        _temp.Dispose();
    }

    private static FileDigest GoodSha256 => FileDigest.Sha256(Convert.ToHexStringLower(SHA256.HashData(Good)));

    private string Destination => _temp.File("mnist", Name);

    private FileDownloader Downloader => new(_http, Patient);

    private FileDownloader Stalling => new(_http, Idle);

    /// <summary>Everything in the download's folder but the destination (temporary and partial files).</summary>
    private string[] Leftovers() =>
        Directory.Exists(_temp.File("mnist")) ? Directory.GetFiles(_temp.File("mnist")).Where(p => p != Destination).ToArray() : [];

    /// <summary>The message of a download of <paramref name="urls"/> that must fail, after checking it left nothing behind.</summary>
    private string Fails(params Uri[] urls) => Fails(Downloader, urls);

    /// <summary>As <see cref="Fails(Uri[])"/>, with the short idle timeout of a mirror that stalls on purpose.</summary>
    private string FailsStalling(params Uri[] urls) => Fails(Stalling, urls);

    private string Fails(FileDownloader downloader, Uri[] urls)
    {
        var e = Assert.Throws<DataUnavailableException>(() => downloader.Download(new DatasetFile("mnist", Name, urls, [GoodSha256]), Destination));
        Assert.False(File.Exists(Destination));
        Assert.Empty(Leftovers());
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void A_body_cut_short_of_its_Content_Length_is_rejected_saying_how_far_it_got()
    {
        var url = _server.Add("/cut/" + Name, ServerFault.TruncatedBody, Good, cut: 70_000);

        string message = Fails(url);

        Assert.StartsWith($"could not download {Name} (mirror 1 {url}: the download stopped after 70000 of 150000 bytes: ", message);
    }

    [Fact]
    public void A_chunked_body_cut_before_its_last_chunk_is_rejected()
    {
        var url = _server.Add("/chunked/" + Name, ServerFault.TruncatedChunked, Good, cut: 100_000);

        string message = Fails(url);

        // No Content-Length: the message has no "of N".
        Assert.Matches($@"^could not download {Regex.Escape(Name)} \(mirror 1 {Regex.Escape(url.ToString())}: the download stopped after \d+ bytes: ", message);
    }

    [Fact]
    public void A_server_that_sends_headers_and_then_nothing_is_abandoned_after_the_idle_timeout()
    {
        var url = _server.Add("/stall/" + Name, ServerFault.StallAfterHeaders, Good);
        var clock = Stopwatch.StartNew();

        string message = FailsStalling(url);

        Assert.Equal($"could not download {Name} (mirror 1 {url}: the download stopped after 0 of 150000 bytes: the server sent nothing for 1 s)", message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}: the idle timeout was not used");
    }

    [Fact]
    public void A_body_that_stops_half_way_is_abandoned_after_the_idle_timeout()
    {
        var url = _server.Add("/half/" + Name, ServerFault.StallMidBody, Good, cut: 75_000);

        string message = FailsStalling(url);

        Assert.Equal($"could not download {Name} (mirror 1 {url}: the download stopped after 75000 of 150000 bytes: the server sent nothing for 1 s)", message);
    }

    [Fact]
    public void A_server_that_never_answers_is_abandoned_after_the_idle_timeout_not_the_client_timeout()
    {
        var url = _server.Add("/silent/" + Name, ServerFault.StallBeforeHeaders, Good);

        string message = FailsStalling(url);

        Assert.Equal($"could not download {Name} (mirror 1 {url}: the server sent no response for 1 s)", message);
    }

    [Fact]
    public async Task An_html_page_with_status_200_is_named_as_a_web_page()
    {
        var url = _server.Add("/portal/" + Name, ServerFault.HtmlPage, Good);
        byte[] page = await _http.GetByteArrayAsync(url);
        Assert.StartsWith("<!DOCTYPE html>", Encoding.UTF8.GetString(page));

        string message = Fails(url);

        string sha = Convert.ToHexStringLower(SHA256.HashData(page));
        string md5 = Convert.ToHexStringLower(MD5.HashData(page));
        Assert.Equal($"could not download {Name} (mirror 1 {url}: the server sent a web page instead of the file (checksum mismatch (got sha256 {sha}, md5 {md5})))", message);
    }

    [Fact]
    public void A_redirect_loop_is_named_and_the_next_mirror_is_tried()
    {
        var loop = _server.Add("/loop/" + Name, ServerFault.RedirectLoop, Good);
        var error = _server.Add("/error/" + Name, ServerFault.ServerError, Good);

        string message = Fails(loop, error);

        Assert.Equal(
            $"could not download {Name} (mirror 1 {loop}: HTTP 302 Found after following redirects (a redirect loop, or a redirect the client refuses); "
            + $"mirror 2 {error}: HTTP 500 Internal Server Error)",
            message);
    }

    [Fact]
    public void A_redirect_to_a_good_mirror_is_followed()
    {
        _server.Add("/good/" + Name, ServerFault.Good, Good);
        var url = _server.Add("/moved/" + Name, ServerFault.RedirectToGood, Good, redirectTo: "/good/" + Name);

        Downloader.Download(new DatasetFile("mnist", Name, [url], [GoodSha256]), Destination);

        Assert.Equal(Good, File.ReadAllBytes(Destination));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void A_connection_reset_mid_body_is_a_mirror_failure_and_the_next_good_mirror_delivers()
    {
        byte[] old = [9, 9, 9];
        _temp.Write("mnist/" + Name, old);
        var reset = _server.Add("/reset/" + Name, ServerFault.Reset, Good, cut: 40_000);
        var good = _server.Add("/good/" + Name, ServerFault.Good, Good);

        var e = Assert.Throws<DataUnavailableException>(() => Downloader.Download(new DatasetFile("mnist", Name, [reset], [GoodSha256]), Destination));
        Assert.StartsWith($"could not download {Name} (mirror 1 {reset}: the download stopped after ", e.Message);
        // The reset's own words, not just any failure (how many bytes arrived before the RST varies with the socket buffers).
        Assert.Matches(
            $@"^could not download {Regex.Escape(Name)} \(mirror 1 {Regex.Escape(reset.ToString())}: the download stopped after \d+ of 150000 bytes: "
            + @"Unable to read data from the transport connection: Connection reset by peer\.\)$",
            e.Message);
        Assert.Equal(old, File.ReadAllBytes(Destination));
        Assert.Empty(Leftovers());

        Downloader.Download(new DatasetFile("mnist", Name, [reset, good], [GoodSha256]), Destination);

        Assert.Equal(Good, File.ReadAllBytes(Destination));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void The_temporary_file_of_a_killed_download_is_removed_by_the_next_one()
    {
        int dead = AtomicFileTests.DeadProcessId();
        string killed = _temp.Write($"mnist/.{Name}.{dead}-{Guid.NewGuid():N}.tmp", Good[..1000]);
        var url = _server.Add("/good/" + Name, ServerFault.Good, Good);

        Downloader.Download(new DatasetFile("mnist", Name, [url], [GoodSha256]), Destination);

        Assert.False(File.Exists(killed));
        Assert.Equal(Good, File.ReadAllBytes(Destination));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void The_idle_timeout_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileDownloader(_http, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(60), new FileDownloader(_http).IdleTimeout);
    }
}
