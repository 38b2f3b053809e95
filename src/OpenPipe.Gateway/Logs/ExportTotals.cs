namespace OpenPipe.Gateway.Logs;

/// <summary>
/// What an export will read, counted in the same database snapshot as its rows before the first
/// one is sent (so they agree however many calls are logged meanwhile): the rows, and those left out
/// for having failed or having no response. The rest are candidates: each becomes a line unless it
/// holds no conversation the format can carry, which is known only when it is read.
/// </summary>
public sealed class ExportTotals
{
    /// <summary>The rows the export reads.</summary>
    public long Rows { get; set; }

    /// <summary>Rows that will be left out because the call failed.</summary>
    public long Failed { get; set; }

    /// <summary>Rows that will be left out because the call has no response.</summary>
    public long NoResponse { get; set; }

    /// <summary>Rows that will be written unless unusable.</summary>
    public long Candidates => Rows - Failed - NoResponse;
}
