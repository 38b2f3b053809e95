// Adds: reading the request log for the logs API, the export, usage and the token limit. Every
// query is built by AppendFilters, so a filter means the same in a page, an export, a dataset
// import and on both engines; the engines supply only their spelling of text search and of a UTC day.

using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.Storage;

/// <content>Log queries.</content>
public abstract partial class RelationalGatewayStore : IRequestLogReader
{
    /// <summary>The columns of a page's rows (<see cref="ReadEntry"/> reads them in this order).</summary>
    private const string SummaryColumns =
        "r.id, r.received_at, r.key_id, r.model, r.backend, r.stream, r.status, r.error, r.latency_ms, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cache_hit, r.completion_id, r.tags, r.criteria";

    /// <summary>Newest first; <c>id</c> orders rows received at the same instant.</summary>
    private const string NewestFirst = " ORDER BY r.received_at DESC, r.id DESC";

    /// <inheritdoc />
    public async Task<IReadOnlyList<LogEntry>> ListLogsAsync(LogQuery query, LogCursor? after, int take, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var page = await BeginPageAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var select = ListCommand(connection, query, after, take);
        select.Transaction = page;
        var entries = new List<LogEntry>(Math.Min(take, 256));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }

        return entries;
    }

    /// <summary>
    /// The engine's plan for the page <see cref="ListLogsAsync"/> would read (PostgreSQL: <c>EXPLAIN
    /// (ANALYZE, BUFFERS)</c>, which runs it; SQLite: <c>EXPLAIN QUERY PLAN</c>), one line per step.
    /// For the benchmarks, which print it next to the timings.
    /// </summary>
    internal async Task<string> ExplainListAsync(LogQuery query, LogCursor? after, int take, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var page = await BeginPageAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var explain = ListCommand(connection, query, after, take);
        explain.Transaction = page;
        explain.CommandText = ExplainPrefix + explain.CommandText;
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lines.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), CultureInfo.InvariantCulture) ?? string.Empty);
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Sets up the connection for one page's statement, in a transaction when the engine needs one
    /// for that; this default (SQLite) needs nothing.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transaction the page's statement runs in, or null.</returns>
    protected virtual Task<DbTransaction?> BeginPageAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult<DbTransaction?>(null);

    /// <summary>What makes a statement show its plan. This default is SQLite's.</summary>
    private protected virtual string ExplainPrefix => "EXPLAIN QUERY PLAN ";

    /// <summary>The statement of one page: the filters, then rows strictly after the cursor, newest first.</summary>
    private DbCommand ListCommand(DbConnection connection, LogQuery query, LogCursor? after, int take)
    {
        var select = connection.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(SummaryColumns).Append(" FROM request_log r WHERE 1 = 1");
        AppendFilters(sql, select, query);
        if (after is { } cursor)
        {
            // A row value comparison: both engines bound it by the received_at indexes and compare ids at the edge.
            sql.Append(" AND (r.received_at, r.id) < (@after_at, @after_id)");
            Add(select, "@after_at", ReceivedAtValue(cursor.ReceivedAt));
            Add(select, "@after_id", cursor.Id);
        }

        sql.Append(NewestFirst).Append(" LIMIT @take");
        Add(select, "@take", take);
        select.CommandText = sql.ToString();
        return select;
    }

    /// <inheritdoc />
    public async Task<LogEntry?> GetLogAsync(long id, string? keyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {SummaryColumns}, r.request_json, r.response_json, r.metadata_json FROM request_log r WHERE r.id = @id"
            + (keyId is null ? string.Empty : " AND r.key_id = @key_id");
        Add(select, "@id", id);
        if (keyId is not null)
        {
            Add(select, "@key_id", keyId);
        }

        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var entry = ReadEntry(reader);
        entry.Request = Raw(reader, 16);
        entry.Response = Raw(reader, 17);
        entry.Metadata = Raw(reader, 18);
        return entry;
    }

    /// <inheritdoc />
    public async Task<LatestLoggedCall?> GetLatestLogAsync(string? keyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        var sql = new StringBuilder("SELECT r.received_at, r.cache_hit, r.status, r.error, r.request_json, r.response_json, r.tags FROM request_log r WHERE 1 = 1");
        AppendFilters(sql, select, new LogQuery { KeyId = keyId });
        select.CommandText = sql.Append(NewestFirst).Append(" LIMIT 1").ToString();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var call = new LatestLoggedCall
        {
            CreatedAt = ReadTime(reader, 0),
            CacheHit = reader.GetInt32(1) != 0,
            StatusCode = reader.GetInt32(2),
            ErrorMessage = reader.IsDBNull(3) ? null : reader.GetString(3),
            ReqPayload = Raw(reader, 4),
            RespPayload = Raw(reader, 5),
        };
        CopyTags(reader, 6, call.Tags);
        return call;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ExportRow> ReadExportRowsAsync(LogQuery query, ExportTotals? totals = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // One snapshot for the counts and the rows, so they agree while calls keep being logged.
        await using var snapshot = await BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
        if (totals is not null)
        {
            await using var count = connection.CreateCommand();
            count.Transaction = snapshot;
            var counting = new StringBuilder("""
                SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.status BETWEEN 200 AND 299 THEN 0 ELSE 1 END), 0),
                COALESCE(SUM(CASE WHEN r.status BETWEEN 200 AND 299 AND r.response_json IS NULL THEN 1 ELSE 0 END), 0)
                FROM request_log r WHERE 1 = 1
                """);
            AppendFilters(counting, count, query);
            count.CommandText = counting.ToString();
            count.CommandTimeout = 0;
            await ReadTotalsAsync(count, totals, cancellationToken).ConfigureAwait(false);
        }

        await using var select = connection.CreateCommand();
        select.Transaction = snapshot;
        var sql = new StringBuilder("SELECT r.status, r.request_json, r.response_json FROM request_log r WHERE 1 = 1");
        AppendFilters(sql, select, query);
        select.CommandText = sql.Append(NewestFirst).ToString();

        // The reader's pace is the client's: no time-out, the request's token ends it.
        select.CommandTimeout = 0;
        await using var reader = await select.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            int status = reader.GetInt32(0);
            string request = reader.GetString(1);
            string? response = reader.IsDBNull(2) ? null : reader.GetString(2);
            yield return new ExportRow(status, request, response, null);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageRow>> GetUsageAsync(UsageGroupBy groupBy, string? keyId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
    {
        string group = groupBy switch
        {
            UsageGroupBy.Key => "r.key_id",
            UsageGroupBy.Model => "r.model",
            UsageGroupBy.Day => UtcDaySql("r.received_at"),
            _ => throw new ArgumentOutOfRangeException(nameof(groupBy), groupBy, "Not a usage grouping."),
        };
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(group).Append("""
             AS usage_group, COUNT(*), SUM(CASE WHEN r.status BETWEEN 200 AND 299 THEN 0 ELSE 1 END),
             COALESCE(SUM(r.prompt_tokens), 0), COALESCE(SUM(r.completion_tokens), 0), COALESCE(SUM(r.total_tokens), 0), SUM(r.cache_hit)
             FROM request_log r WHERE 1 = 1
            """);
        AppendFilters(sql, select, new LogQuery { KeyId = keyId, From = from, To = to });
        select.CommandText = sql.Append(" GROUP BY usage_group ORDER BY usage_group").ToString();
        var rows = new List<UsageRow>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new UsageRow
            {
                Group = reader.GetString(0),
                Requests = Long(reader, 1),
                Errors = Long(reader, 2),
                PromptTokens = Long(reader, 3),
                CompletionTokens = Long(reader, 4),
                TotalTokens = Long(reader, 5),
                CacheHits = Long(reader, 6),
            });
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task<long> GetTokensUsedAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = """
            SELECT COALESCE((SELECT SUM(r.total_tokens) FROM request_log r
                             WHERE r.key_id = @key_id AND r.received_at >= @since AND r.backend <> 'report' AND r.cache_hit = 0), 0)
                 + COALESCE((SELECT SUM(u.total_tokens) FROM unlogged_usage u WHERE u.key_id = @key_id AND u.received_at >= @since), 0)
            """;
        Add(select, "@key_id", keyId);
        Add(select, "@since", ReceivedAtValue(since));
        return Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Appends <c> AND ...</c> for every condition of <paramref name="query"/> on the request log
    /// aliased <c>r</c>, with its parameters (named <c>@q_...</c>) added to <paramref name="command"/>.
    /// </summary>
    /// <param name="sql">The statement so far, ending in a WHERE clause.</param>
    /// <param name="command">The command that gets the parameters.</param>
    /// <param name="query">The filters.</param>
    protected void AppendFilters(StringBuilder sql, DbCommand command, LogQuery query)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(query);
        if (query.KeyId is { } keyId)
        {
            sql.Append(" AND r.key_id = @q_key_id");
            Add(command, "@q_key_id", keyId);
        }

        if (query.Model is { } model)
        {
            sql.Append(" AND r.model = @q_model");
            Add(command, "@q_model", model);
        }

        if (query.Backend is { } backend)
        {
            sql.Append(" AND r.backend = @q_backend");
            Add(command, "@q_backend", backend);
        }

        if (query.Statuses.Count > 0)
        {
            sql.Append(" AND (");
            for (int i = 0; i < query.Statuses.Count; i++)
            {
                var range = query.Statuses[i];
                sql.Append(i == 0 ? string.Empty : " OR ");
                if (range.Min == range.Max)
                {
                    sql.Append("r.status = @q_status").Append(i);
                    Add(command, "@q_status" + i, range.Min);
                }
                else
                {
                    sql.Append("r.status BETWEEN @q_status").Append(i).Append("_min AND @q_status").Append(i).Append("_max");
                    Add(command, $"@q_status{i}_min", range.Min);
                    Add(command, $"@q_status{i}_max", range.Max);
                }
            }

            sql.Append(')');
        }

        for (int i = 0; i < query.Tags.Count; i++)
        {
            var tag = query.Tags[i];
            sql.Append(" AND r.id IN (SELECT t.log_id FROM request_log_tags t WHERE t.name = @q_tag").Append(i).Append(" AND t.value IN (");
            Add(command, "@q_tag" + i, tag.Name);
            for (int j = 0; j < tag.Texts.Count; j++)
            {
                sql.Append(j == 0 ? string.Empty : ", ").Append("@q_tag").Append(i).Append("_v").Append(j);
                Add(command, $"@q_tag{i}_v{j}", tag.Texts[j]);
            }

            sql.Append("))");
        }

        if (query.Criterion is { } criterion)
        {
            sql.Append(" AND r.id IN (SELECT c.log_id FROM request_log_criteria c WHERE c.criterion = @q_criterion)");
            Add(command, "@q_criterion", criterion);
        }

        if (query.CacheHit is { } hit)
        {
            sql.Append(" AND r.cache_hit = ").Append(hit ? '1' : '0');
        }

        if (query.From is { } from)
        {
            sql.Append(" AND r.received_at >= @q_from");
            Add(command, "@q_from", ReceivedAtValue(from));
        }

        if (query.To is { } to)
        {
            sql.Append(" AND r.received_at < @q_to");
            Add(command, "@q_to", ReceivedAtValue(to));
        }

        if (query.Text is { } text)
        {
            sql.Append(" AND ").Append(TextMatchSql("@q_text"));
            Add(command, "@q_text", "%" + EscapeLike(text) + "%");
        }
    }

    /// <summary>
    /// The condition that the request or the response of <c>r</c> contains the LIKE pattern in
    /// <paramref name="parameter"/> (its <c>\</c> escapes <c>%</c>, <c>_</c> and itself), ignoring case.
    /// This default is SQLite's LIKE, which ignores the case of ASCII letters.
    /// </summary>
    /// <param name="parameter">The parameter's name.</param>
    /// <returns>The condition.</returns>
    protected virtual string TextMatchSql(string parameter) =>
        $"(r.request_json LIKE {parameter} ESCAPE '\\' OR r.response_json LIKE {parameter} ESCAPE '\\')";

    /// <summary>The UTC day of a <c>received_at</c> column as <c>YYYY-MM-DD</c> text. This default reads SQLite's ISO-8601 text.</summary>
    /// <param name="column">The column.</param>
    /// <returns>The expression.</returns>
    protected virtual string UtcDaySql(string column) => $"substr({column}, 1, 10)";

    /// <summary>A time column's value: ISO-8601 text (SQLite) or a UTC timestamp (PostgreSQL).</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The time, exactly as stored.</returns>
    protected static DateTimeOffset ReadTime(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetValue(ordinal) switch
        {
            string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal),
            DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            DateTimeOffset offset => offset,
            var other => throw new InvalidOperationException($"A time column holds a {other.GetType().Name}."),
        };
    }

    /// <summary>
    /// Begins a read-only view of the database as it is now, which later statements on the connection
    /// share. This default is REPEATABLE READ (PostgreSQL's snapshot); an engine whose default
    /// transaction would lock writers out begins a reader's transaction instead.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transaction; dispose it to end the snapshot.</returns>
    protected virtual async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the three counts of an export's count statement into <paramref name="totals"/>.</summary>
    private static async Task ReadTotalsAsync(DbCommand count, ExportTotals totals, CancellationToken cancellationToken)
    {
        await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            totals.Rows = Long(reader, 0);
            totals.Failed = Long(reader, 1);
            totals.NoResponse = Long(reader, 2);
        }
    }

    /// <summary>Escapes LIKE's wildcards (and the escape character) in a search text.</summary>
    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>A row of <see cref="SummaryColumns"/>.</summary>
    private static LogEntry ReadEntry(DbDataReader reader)
    {
        var entry = new LogEntry
        {
            Id = reader.GetInt64(0),
            ReceivedAt = ReadTime(reader, 1),
            KeyId = reader.GetString(2),
            Model = reader.GetString(3),
            Backend = reader.GetString(4),
            Stream = reader.GetInt32(5) != 0,
            Status = reader.GetInt32(6),
            Error = reader.IsDBNull(7) ? null : reader.GetString(7),
            LatencyMs = reader.GetDouble(8),
            PromptTokens = reader.IsDBNull(9) ? null : reader.GetInt64(9),
            CompletionTokens = reader.IsDBNull(10) ? null : reader.GetInt64(10),
            TotalTokens = reader.IsDBNull(11) ? null : reader.GetInt64(11),
            CacheHit = reader.GetInt32(12) != 0,
            CompletionId = reader.IsDBNull(13) ? null : reader.GetString(13),
        };
        CopyTags(reader, 14, entry.Tags);
        if (!reader.IsDBNull(15))
        {
            entry.Criteria = CriteriaOf(reader.GetString(15));
        }

        return entry;
    }

    /// <summary>The tags column's values, each with its JSON type (a number keeps its text).</summary>
    private static void CopyTags(DbDataReader reader, int ordinal, IDictionary<string, object> target)
    {
        if (!reader.IsDBNull(ordinal) && OpenPipeTags.TryParse(reader.GetString(ordinal), out var tags, out _))
        {
            foreach (var (name, value) in tags)
            {
                target[name] = value;
            }
        }
    }

    /// <summary>A JSON column written out as stored (no parse, no reformatting), or null.</summary>
    private static JRaw? Raw(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : new JRaw(reader.GetString(ordinal));

    private static long Long(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
}
