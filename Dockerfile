# codeseceval in a container: Debian 12 (bookworm), Node 20, the Python packages the datasets'
# code imports and bubblewrap, all from scripts/debian-packages.txt's [runtime] group (the one
# list `npm run setup` installs from). Used by the Kubernetes Indexed Job of docs/cluster.md.
#
#   docker build -t codeseceval .
#   docker run --rm --security-opt seccomp=unconfined --security-opt systempaths=unconfined codeseceval doctor
#
# The tool runs as an unprivileged user, so bubblewrap makes its sandbox in a user namespace:
# that needs Docker's default seccomp profile off and an unmasked /proc (the two flags above;
# in Kubernetes seccompProfile Unconfined and procMount Unmasked), and no added capability.
# Measured flags, and the root alternative, in docs/cluster.md.
# BASE_IMAGE: any Debian 12 image with Node 20 at /usr/local/bin (the official one by default);
# scripts/image-smoke.sh builds a stand-in from debootstrap where Docker Hub is out of reach.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}

WORKDIR /opt/codeseceval

COPY scripts/debian-packages.txt scripts/debian-packages.txt
RUN apt-get update \
 && sed -n '/^\[runtime\]/,/^\[/p' scripts/debian-packages.txt | grep -v -e '^\[' -e '^#' -e '^[[:space:]]*$' \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Only what the build reads (tsconfig.build.json compiles src/): editing scripts/ or docs/
# does not rebuild the image.
COPY src src
# npm ci builds dist/ (the prepare script); the TypeScript compiler is dropped afterwards.
RUN npm ci && npm prune --omit=dev && npm cache clean --force

ENV CODESECEVAL_PYTHON=/usr/bin/python3
# A fixed uid, so a Kubernetes securityContext (runAsUser, fsGroup) can name it.
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin codeseceval
USER 10001
ENTRYPOINT ["node", "/opt/codeseceval/dist/cli/main.js"]
CMD ["--help"]
