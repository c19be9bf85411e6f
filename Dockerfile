# The lsscp binary: one image for the api, worker and migrate services.
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked --bin lsscp

FROM debian:bookworm-20251117-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/lsscp --create-home lsscp
COPY --from=build /src/target/release/lsscp /usr/local/bin/lsscp
USER lsscp
WORKDIR /var/lib/lsscp
ENV DATA_DIR=/var/lib/lsscp/var PORT=8000
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/lsscp"]
CMD ["serve"]
