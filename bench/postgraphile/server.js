// PostGraphile 4.14 over the LSSCP schema: the third target of `loadbench run` (issue 7).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/lsscp_bench PORT=8302 node server.js
//
// Library mode with the production settings of PostGraphile's documentation: no GraphiQL,
// no query log, no schema watching, default CRUD mutations off. It serves POST /graphql.
//
// No authentication and no row-level security: it connects with a superuser (or `pgql`,
// a superuser role of its own for counting statements) and answers every query for
// anyone. This only favours PostGraphile against the API, which authenticates every
// request (a session lookup) and checks the caller's role.
"use strict";

const http = require("http");
const { postgraphile } = require("postgraphile");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");
const PgAggregatesPlugin = require("@graphile/pg-aggregates").default;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("DATABASE_URL is not set");
  process.exit(1);
}
const port = Number(process.env.PORT || 8302);
const host = process.env.HOST || "127.0.0.1";

// Adds `…_TRUNCATED_TO_MONTH` group-by derivatives for date and timestamp columns,
// following the pg-aggregates README ("Defining your own grouping derivatives"); the
// plugin itself ships only hour and day, for timestamps.
const DATE_OID = "1082";
const TIMESTAMP_OID = "1114";
const TIMESTAMPTZ_OID = "1184";
function MonthGroupBySpecPlugin(builder) {
  builder.hook("build", (build) => {
    const { pgSql: sql } = build;
    build.pgAggregateGroupBySpecs = [
      ...build.pgAggregateGroupBySpecs,
      {
        id: "truncated-to-month",
        isSuitableType: (pgType) =>
          pgType.id === DATE_OID ||
          pgType.id === TIMESTAMP_OID ||
          pgType.id === TIMESTAMPTZ_OID,
        sqlWrap: (frag) => sql.fragment`date_trunc('month', ${frag})`,
      },
    ];
    return build;
  });
}

const middleware = postgraphile(databaseUrl, "public", {
  appendPlugins: [ConnectionFilterPlugin, PgAggregatesPlugin, MonthGroupBySpecPlugin],
  graphileBuildOptions: {
    // Filters across a foreign key (Q5: approvals of the courses of one set).
    connectionFilterRelations: true,
  },
  graphqlRoute: "/graphql",
  graphiql: false,
  enhanceGraphiql: false,
  watchPg: false,
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: "omit",
  disableDefaultMutations: true,
  subscriptions: false,
  enableQueryBatching: false,
  extendedErrors: ["errcode"],
  showErrorStack: false,
  retryOnInitFail: false,
});

const server = http.createServer(middleware);
server.listen(port, host, () => {
  console.log(`postgraphile pid ${process.pid} on http://${host}:${port}/graphql`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
